/*
 * Host test for the ACPI table parser (acpi.c).
 *
 * Tables are built by hand in a fake physical memory buffer: helpers write
 * an RSDP (revision 0 or 2), RSDT/XSDT, MADT entries and a FADT and fix the
 * checksums, and each test then breaks something on purpose.  The mapper
 * handed to acpi_parse() copies each requested range into its own heap
 * block of exactly that size, placed one byte off alignment, so
 * AddressSanitizer reports any read past what the mapper returned and
 * UBSan any misaligned load.  The RSDP copy is likewise an exact-size heap
 * block.  A fuzz loop corrupts a valid table set at random (fixing the
 * checksums half of the time so corruption reaches the deeper parsing)
 * and checks that nothing crashes and that the result invariants hold.
 *
 * The parser's kprintf() output is captured per test: warnings are echoed
 * as KTAP diagnostics ("# ...") and checked for the expected text.
 */
/* HTEST_SRCS: sys/platform/pc64/acpi.c */
#include "acpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/systm.h>

#include "htest.h"

#define FAKE_BASE 0x80000ul /* physical address of fakemem[0] */
#define FAKE_SIZE 0x40000ul /* bytes of fake physical memory */

/* Standard places for tables in fake memory (some tests move them). */
#define PA_RSDT  (FAKE_BASE + 0x1000)
#define PA_XSDT  (FAKE_BASE + 0x2000)
#define PA_FADT  (FAKE_BASE + 0x3001) /* odd on purpose */
#define PA_MADT  (FAKE_BASE + 0x10000)
#define PA_MADT2 (FAKE_BASE + 0x20003) /* odd on purpose */

#define LAPIC_PA  0xFEE00000u
#define IOAPIC_PA 0xFEC00000u

static uint8_t fakemem[FAKE_SIZE]; /* the fake physical memory */

/* Mappings handed out during one acpi_parse() call, freed after it. */
static void **maps;             /* heap blocks */
static size_t nmaps;            /* blocks in use */
static size_t mapcap;           /* capacity of maps[] */
static unsigned long map_calls; /* mapper calls, all time */

static char logbuf[1 << 16]; /* kprintf() output of the last parse */

/* ------------------------------------------------------------------ */
/* Fake physical memory                                                */

static uint8_t *
fm(vm_paddr_t pa)
{
	if (pa < FAKE_BASE || pa - FAKE_BASE >= FAKE_SIZE) {
		fprintf(stderr, "test bug: pa 0x%lx outside fake memory\n",
		        (unsigned long)pa);
		abort();
	}
	return &fakemem[pa - FAKE_BASE];
}

static void
put8(vm_paddr_t pa, uint8_t v)
{
	*fm(pa) = v;
}

static void
put16(vm_paddr_t pa, uint16_t v)
{
	put8(pa, v & 0xFF);
	put8(pa + 1, v >> 8);
}

static void
put32(vm_paddr_t pa, uint32_t v)
{
	put16(pa, v & 0xFFFF);
	put16(pa + 2, v >> 16);
}

static void
put64(vm_paddr_t pa, uint64_t v)
{
	put32(pa, (uint32_t)v);
	put32(pa + 4, (uint32_t)(v >> 32));
}

static uint32_t
get32(vm_paddr_t pa)
{
	return (uint32_t)fm(pa)[0] | (uint32_t)fm(pa + 1)[0] << 8 |
	       (uint32_t)fm(pa + 2)[0] << 16 | (uint32_t)fm(pa + 3)[0] << 24;
}

/*
 * The mapper: [pa, pa + len) must lie inside fake memory.  The bytes are
 * copied to a fresh block of exactly len bytes at an odd address.
 */
static const void *
fake_map(vm_paddr_t pa, size_t len, void *arg)
{
	uint8_t *p;

	(void)arg;
	map_calls++;
	if (pa < FAKE_BASE || len > FAKE_SIZE ||
	    pa - FAKE_BASE > FAKE_SIZE - len)
		return NULL;
	if (nmaps == mapcap) {
		mapcap = mapcap ? mapcap * 2 : 64;
		maps = realloc(maps, mapcap * sizeof(*maps));
		if (maps == NULL)
			abort();
	}
	p = malloc(len + 1);
	if (p == NULL)
		abort();
	memcpy(p + 1, &fakemem[pa - FAKE_BASE], len);
	maps[nmaps++] = p;
	return p + 1;
}

static void
free_maps(void)
{
	while (nmaps > 0)
		free(maps[--nmaps]);
}

/* ------------------------------------------------------------------ */
/* Table builders                                                      */

static void
fix_checksum(vm_paddr_t pa)
{
	uint32_t len = get32(pa + 4), i;
	uint8_t s = 0;

	put8(pa + 9, 0);
	for (i = 0; i < len; i++)
		s += *fm(pa + i);
	put8(pa + 9, (uint8_t)-s);
}

static void
sdt_header(vm_paddr_t pa, const char *sig, uint32_t len)
{
	memcpy(fm(pa), sig, 4);
	put32(pa + 4, len);
	put8(pa + 8, 1);
	memcpy(fm(pa + 10), "TESTOE", 6);
	memcpy(fm(pa + 16), "TESTTABL", 8);
	put32(pa + 24, 1);
	put32(pa + 28, 0x54534554);
	put32(pa + 32, 1);
}

static void
make_rsdt(vm_paddr_t pa, const vm_paddr_t *tables, int n)
{
	int i;

	sdt_header(pa, "RSDT", 36 + 4 * n);
	for (i = 0; i < n; i++)
		put32(pa + 36 + 4 * i, (uint32_t)tables[i]);
	fix_checksum(pa);
}

static void
make_xsdt(vm_paddr_t pa, const vm_paddr_t *tables, int n)
{
	int i;

	sdt_header(pa, "XSDT", 36 + 8 * n);
	for (i = 0; i < n; i++)
		put64(pa + 36 + 8 * i, tables[i]);
	fix_checksum(pa);
}

/*
 * FADT of length len with the legacy PM timer block, its length byte, the
 * flags word and (if len allows) X_PM_TMR_BLK in address space xspace.
 */
static void
make_fadt(vm_paddr_t pa, uint32_t len, uint32_t pm_blk, uint8_t pm_len,
          uint32_t flags, uint8_t xspace, uint64_t xaddr)
{
	memset(fm(pa), 0, len);
	sdt_header(pa, "FACP", len);
	if (len >= 80)
		put32(pa + 76, pm_blk);
	if (len >= 92)
		put8(pa + 91, pm_len);
	if (len >= 116)
		put32(pa + 112, flags);
	if (len >= 220) {
		put8(pa + 208, xspace);
		put8(pa + 209, 32);
		put8(pa + 211, 3);
		put64(pa + 212, xaddr);
	}
	fix_checksum(pa);
}

/* MADT under construction: entries are appended, then madt_end(). */
struct madt_b {
	vm_paddr_t pa; /* table address */
	uint32_t len;  /* bytes written so far */
};

static struct madt_b
madt_begin(vm_paddr_t pa, uint32_t lapic, uint32_t flags)
{
	struct madt_b m = {pa, 44};

	sdt_header(pa, "APIC", 44);
	put32(pa + 36, lapic);
	put32(pa + 40, flags);
	return m;
}

static void
madt_raw(struct madt_b *m, const uint8_t *bytes, uint32_t n)
{
	memcpy(fm(m->pa + m->len), bytes, n);
	m->len += n;
}

static void
madt_lapic(struct madt_b *m, uint8_t uid, uint8_t id, uint32_t flags)
{
	uint8_t e[8] = {0,
	                8,
	                uid,
	                id,
	                (uint8_t)flags,
	                (uint8_t)(flags >> 8),
	                (uint8_t)(flags >> 16),
	                (uint8_t)(flags >> 24)};

	madt_raw(m, e, sizeof(e));
}

static void
madt_x2apic(struct madt_b *m, uint32_t uid, uint32_t id, uint32_t flags)
{
	vm_paddr_t e = m->pa + m->len;

	memset(fm(e), 0, 16);
	put8(e, 9);
	put8(e + 1, 16);
	put32(e + 4, id);
	put32(e + 8, flags);
	put32(e + 12, uid);
	m->len += 16;
}

static void
madt_ioapic(struct madt_b *m, uint8_t id, uint32_t pa, uint32_t gsi)
{
	vm_paddr_t e = m->pa + m->len;

	put8(e, 1);
	put8(e + 1, 12);
	put8(e + 2, id);
	put8(e + 3, 0);
	put32(e + 4, pa);
	put32(e + 8, gsi);
	m->len += 12;
}

static void
madt_iso(struct madt_b *m, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	vm_paddr_t e = m->pa + m->len;

	put8(e, 2);
	put8(e + 1, 10);
	put8(e + 2, 0);
	put8(e + 3, irq);
	put32(e + 4, gsi);
	put16(e + 8, flags);
	m->len += 10;
}

static void
madt_lapic_nmi(struct madt_b *m, uint8_t uid, uint16_t flags, uint8_t lint)
{
	vm_paddr_t e = m->pa + m->len;

	put8(e, 4);
	put8(e + 1, 6);
	put8(e + 2, uid);
	put16(e + 3, flags);
	put8(e + 5, lint);
	m->len += 6;
}

static void
madt_x2apic_nmi(struct madt_b *m, uint32_t uid, uint16_t flags, uint8_t lint)
{
	vm_paddr_t e = m->pa + m->len;

	memset(fm(e), 0, 12);
	put8(e, 0xA);
	put8(e + 1, 12);
	put16(e + 2, flags);
	put32(e + 4, uid);
	put8(e + 8, lint);
	m->len += 12;
}

static void
madt_lapic_override(struct madt_b *m, uint64_t pa)
{
	vm_paddr_t e = m->pa + m->len;

	put8(e, 5);
	put8(e + 1, 12);
	put16(e + 2, 0);
	put64(e + 4, pa);
	m->len += 12;
}

static void
madt_end(struct madt_b *m)
{
	put32(m->pa + 4, m->len);
	fix_checksum(m->pa);
}

/* RSDP in buf (36 bytes); rev 0 uses the first 20, rev 2 all 36. */
static void
make_rsdp(uint8_t *buf, int rev, uint32_t rsdt, uint64_t xsdt)
{
	uint8_t s;
	int i;

	memset(buf, 0, 36);
	memcpy(buf, "RSD PTR ", 8);
	memcpy(buf + 9, "BOCHS ", 6);
	buf[15] = (uint8_t)rev;
	memcpy(buf + 16, &rsdt, 4);
	if (rev >= 2) {
		uint32_t len = 36;

		memcpy(buf + 20, &len, 4);
		memcpy(buf + 24, &xsdt, 8);
	}
	for (s = 0, i = 0; i < 20; i++)
		s += buf[i];
	buf[8] = (uint8_t)-s;
	if (rev >= 2) {
		for (s = 0, i = 0; i < 36; i++)
			s += buf[i];
		buf[32] = (uint8_t)-s;
	}
}

/* ------------------------------------------------------------------ */
/* Running the parser                                                  */

/*
 * Parse with the RSDP copied into an exact-size block, capturing the
 * kprintf() output into logbuf (echoed as diagnostics unless quiet).
 */
static int
run_parse(const uint8_t *rsdp, size_t rsdp_len, struct acpi_info *ai,
          bool quiet)
{
	static FILE *cap;
	uint8_t *copy;
	size_t n;
	int saved, r;

	if (cap == NULL && (cap = tmpfile()) == NULL)
		abort();
	copy = malloc(rsdp_len ? rsdp_len : 1);
	if (copy == NULL)
		abort();
	memcpy(copy, rsdp, rsdp_len);

	fflush(stdout);
	saved = dup(1);
	if (saved < 0 || ftruncate(fileno(cap), 0) != 0)
		abort();
	rewind(cap);
	dup2(fileno(cap), 1);
	r = acpi_parse(rsdp_len ? copy : NULL, rsdp_len, fake_map, NULL, ai);
	if (!quiet)
		acpi_print(ai);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);

	free_maps();
	free(copy);

	rewind(cap);
	n = fread(logbuf, 1, sizeof(logbuf) - 1, cap);
	logbuf[n] = '\0';
	if (!quiet) {
		char *line, *save = NULL;
		char tmp[sizeof(logbuf)];

		memcpy(tmp, logbuf, n + 1);
		for (line = strtok_r(tmp, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save))
			printf("    # %s\n", line);
	}
	return r;
}

static bool
logged(const char *s)
{
	return strstr(logbuf, s) != NULL;
}

static uint8_t rsdp_buf[36];  /* RSDP the current test passes */
static struct acpi_info info; /* result of the current test */

/* Rev 0 RSDP -> RSDT -> (FADT, MADT). */
static int
parse_rsdt(vm_paddr_t madt, vm_paddr_t fadt)
{
	vm_paddr_t t[2];
	int n = 0;

	if (fadt != 0)
		t[n++] = fadt;
	if (madt != 0)
		t[n++] = madt;
	make_rsdt(PA_RSDT, t, n);
	make_rsdp(rsdp_buf, 0, PA_RSDT, 0);
	return run_parse(rsdp_buf, 20, &info, false);
}

static void
qemu_fadt(void)
{
	make_fadt(PA_FADT, 244, 0x608, 4, 1u << 8, 1, 0x608);
}

/* A QEMU-like MADT with the given APIC IDs (UIDs 0, 1, ...). */
static void
qemu_madt(vm_paddr_t pa, const uint8_t *ids, int n)
{
	struct madt_b m = madt_begin(pa, LAPIC_PA, 1);
	int i;

	for (i = 0; i < n; i++)
		madt_lapic(&m, (uint8_t)i, ids[i], 1);
	madt_ioapic(&m, 0, IOAPIC_PA, 0);
	madt_iso(&m, 0, 2, 0);
	madt_iso(&m, 5, 5, 0xD);
	madt_iso(&m, 9, 9, 0xD);
	madt_iso(&m, 10, 10, 0xD);
	madt_iso(&m, 11, 11, 0xD);
	madt_lapic_nmi(&m, 0xFF, 0, 1);
	madt_end(&m);
}

static void
reset_mem(void)
{
	memset(fakemem, 0, sizeof(fakemem));
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

static void
test_good_qemu(void)
{
	static const uint8_t ids[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	int i, r;

	reset_mem();
	qemu_madt(PA_MADT, ids, 8);
	qemu_fadt();
	r = parse_rsdt(PA_MADT, PA_FADT);
	HT_CHECK_EQ(r, 0);
	HT_CHECK_EQ(info.ncpus, 8);
	for (i = 0; i < 8; i++) {
		HT_CHECK_EQ(info.cpus[i].apic_id, i);
		HT_CHECK_EQ(info.cpus[i].acpi_uid, i);
		HT_CHECK(!info.cpus[i].x2apic_entry);
	}
	HT_CHECK_EQ(info.warnings, 0);
	HT_CHECK_EQ(info.lapic_pa, LAPIC_PA);
	HT_CHECK(info.pcat_compat);
	HT_CHECK_EQ(info.n_ioapics, 1);
	HT_CHECK_EQ(info.ioapics[0].id, 0);
	HT_CHECK_EQ(info.ioapics[0].pa, IOAPIC_PA);
	HT_CHECK_EQ(info.ioapics[0].gsi_base, 0);
	HT_CHECK_EQ(info.n_overrides, 5);
	HT_CHECK_EQ(info.overrides[0].irq, 0);
	HT_CHECK_EQ(info.overrides[0].gsi, 2);
	HT_CHECK_EQ(info.overrides[2].irq, 9);
	HT_CHECK_EQ(info.overrides[2].flags, 0xD);
	HT_CHECK_EQ(info.n_lapic_nmis, 1);
	HT_CHECK_EQ(info.lapic_nmis[0].acpi_uid, ACPI_UID_ALL);
	HT_CHECK_EQ(info.lapic_nmis[0].lint, 1);
	HT_CHECK_EQ(info.pm_tmr_port, 0x608);
	HT_CHECK(info.pm_tmr_32bit);
	HT_CHECK(strcmp(info.oem_id, "BOCHS ") == 0);
	HT_CHECK_EQ(info.rsdp_revision, 0);
	HT_CHECK(!info.used_xsdt);
	HT_CHECK(!logged("warning"));
	HT_CHECK(logged("APIC IDs: 0 1 2 3 4 5 6 7"));
}

static void
test_noncontiguous_ids(void)
{
	static const uint8_t ids[6] = {0, 1, 2, 4, 5, 6};
	int i;

	reset_mem();
	qemu_madt(PA_MADT, ids, 6);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), 0);
	HT_CHECK_EQ(info.ncpus, 6);
	for (i = 0; i < 6; i++)
		HT_CHECK_EQ(info.cpus[i].apic_id, ids[i]);
	HT_CHECK_EQ(info.warnings, 0);
	HT_CHECK_EQ(info.pm_tmr_port, 0); /* no FADT */
}

static void
test_disabled_cpus(void)
{
	struct madt_b m;

	reset_mem();
	m = madt_begin(PA_MADT, LAPIC_PA, 0);
	madt_lapic(&m, 0, 0, 1);
	madt_lapic(&m, 1, 1, 2); /* online capable, not enabled */
	madt_lapic(&m, 2, 2, 1);
	madt_lapic(&m, 3, 3, 0);    /* not usable at all */
	madt_lapic(&m, 4, 0xFF, 0); /* unused slot: silently skipped */
	madt_lapic(&m, 5, 5, 3);    /* enabled and online capable */
	madt_end(&m);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), 0);
	HT_CHECK_EQ(info.ncpus, 3);
	HT_CHECK_EQ(info.cpus[0].apic_id, 0);
	HT_CHECK_EQ(info.cpus[1].apic_id, 2);
	HT_CHECK_EQ(info.cpus[2].apic_id, 5);
	HT_CHECK_EQ(info.ncpus_skipped_disabled, 3);
	HT_CHECK_EQ(info.warnings, 0);
	HT_CHECK(!info.pcat_compat);
}

static void
test_all_disabled(void)
{
	struct madt_b m;

	reset_mem();
	m = madt_begin(PA_MADT, LAPIC_PA, 0);
	madt_lapic(&m, 0, 0, 2);
	madt_lapic(&m, 1, 1, 0);
	madt_end(&m);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), ACPI_ENOCPU);
	HT_CHECK_EQ(info.ncpus, 0);
	HT_CHECK(logged("no usable CPU"));
}

static void
test_bad_rsdp(void)
{
	static const uint8_t ids[2] = {0, 1};

	reset_mem();
	qemu_madt(PA_MADT, ids, 2);
	make_rsdt(PA_RSDT, (vm_paddr_t[]){PA_MADT}, 1);

	make_rsdp(rsdp_buf, 0, PA_RSDT, 0);
	rsdp_buf[8] ^= 0x40;
	HT_CHECK_EQ(run_parse(rsdp_buf, 20, &info, false), ACPI_ENORSDP);
	HT_CHECK_EQ(info.ncpus, 0);
	HT_CHECK(logged("acpi: warning: RSDP: bad checksum"));

	make_rsdp(rsdp_buf, 0, PA_RSDT, 0);
	rsdp_buf[0] = 'X';
	HT_CHECK_EQ(run_parse(rsdp_buf, 20, &info, false), ACPI_ENORSDP);
	HT_CHECK(logged("bad signature"));

	make_rsdp(rsdp_buf, 0, PA_RSDT, 0);
	HT_CHECK_EQ(run_parse(rsdp_buf, 12, &info, false), ACPI_ENORSDP);
	HT_CHECK_EQ(run_parse(rsdp_buf, 0, &info, false), ACPI_ENORSDP);
	HT_CHECK_EQ(info.ncpus, 0);

	/* Revision 2 but only the 20-byte part: use the RSDT. */
	make_rsdp(rsdp_buf, 2, PA_RSDT, 0x123456789000ull);
	HT_CHECK_EQ(run_parse(rsdp_buf, 20, &info, false), 0);
	HT_CHECK_EQ(info.ncpus, 2);
	HT_CHECK(!info.used_xsdt);
	HT_CHECK(logged("using the RSDT"));

	/* Revision 2, bad extended checksum: XSDT not trusted. */
	make_rsdp(rsdp_buf, 2, PA_RSDT, 0x123456789000ull);
	rsdp_buf[32] ^= 1;
	HT_CHECK_EQ(run_parse(rsdp_buf, 36, &info, false), 0);
	HT_CHECK(!info.used_xsdt);
	HT_CHECK(logged("bad extended checksum"));

	/* Revision 2, Length field lies. */
	make_rsdp(rsdp_buf, 2, PA_RSDT, 0x123456789000ull);
	rsdp_buf[20] = 200;
	HT_CHECK_EQ(run_parse(rsdp_buf, 36, &info, false), 0);
	HT_CHECK(!info.used_xsdt);
	HT_CHECK(logged("RSDP: length 200"));
}

static void
test_bad_madt_checksum(void)
{
	static const uint8_t ids[4] = {0, 1, 2, 3};

	reset_mem();
	qemu_madt(PA_MADT, ids, 4);
	qemu_fadt();
	fakemem[PA_MADT + 50 - FAKE_BASE] ^= 0x10;
	HT_CHECK_EQ(parse_rsdt(PA_MADT, PA_FADT), ACPI_ENOMADT);
	HT_CHECK_EQ(info.ncpus, 0);
	HT_CHECK(logged("MADT at 0x90000: bad checksum, skipped"));
	HT_CHECK(logged("no valid MADT"));
	HT_CHECK_EQ(info.pm_tmr_port, 0x608); /* FADT still used */
}

static void
test_truncated_table(void)
{
	static const uint8_t ids[4] = {0, 1, 2, 3};
	vm_paddr_t pa = FAKE_BASE + FAKE_SIZE - 100;
	struct madt_b m;

	reset_mem();
	m = madt_begin(pa, LAPIC_PA, 0);
	madt_lapic(&m, 0, 0, 1);
	madt_lapic(&m, 1, 1, 1);
	m.len = 200; /* claims more than memory holds */
	put32(pa + 4, m.len);
	HT_CHECK_EQ(parse_rsdt(pa, 0), ACPI_ENOMADT);
	HT_CHECK(logged("runs past mappable memory"));

	/* A header that itself straddles the end of memory. */
	reset_mem();
	pa = FAKE_BASE + FAKE_SIZE - 20;
	memcpy(fm(pa), "APIC", 4);
	HT_CHECK_EQ(parse_rsdt(pa, 0), ACPI_ENOMADT);
	HT_CHECK(logged("not mappable"));

	/* Length over the 1 MiB sanity limit. */
	reset_mem();
	qemu_madt(PA_MADT, ids, 4);
	put32(PA_MADT + 4, 0x7FFFFFFF);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), ACPI_ENOMADT);
	HT_CHECK(logged("over the"));
}

static void
test_short_header(void)
{
	static const uint8_t ids[2] = {0, 1};

	reset_mem();
	qemu_madt(PA_MADT, ids, 2);
	put32(PA_MADT + 4, 20);
	fix_checksum(PA_MADT);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), ACPI_ENOMADT);
	HT_CHECK(logged("length 20 shorter than its 36-byte header"));

	/* MADT with a valid SDT header but no room for its own fields. */
	reset_mem();
	sdt_header(PA_MADT, "APIC", 40);
	fix_checksum(PA_MADT);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), ACPI_ENOCPU);
	HT_CHECK(logged("MADT: length 40 shorter than 44"));

	/* RSDT shorter than a header: no root table. */
	reset_mem();
	qemu_madt(PA_MADT, ids, 2);
	make_rsdt(PA_RSDT, (vm_paddr_t[]){PA_MADT}, 1);
	put32(PA_RSDT + 4, 0);
	fix_checksum(PA_RSDT);
	make_rsdp(rsdp_buf, 0, PA_RSDT, 0);
	HT_CHECK_EQ(run_parse(rsdp_buf, 20, &info, false), ACPI_ENOROOT);
	HT_CHECK(logged("RSDT at 0x81000: length 0"));

	/* RSDT with trailing bytes: entries still used. */
	reset_mem();
	qemu_madt(PA_MADT, ids, 2);
	make_rsdt(PA_RSDT, (vm_paddr_t[]){PA_MADT}, 1);
	put32(PA_RSDT + 4, 36 + 4 + 3);
	fix_checksum(PA_RSDT);
	HT_CHECK_EQ(run_parse(rsdp_buf, 20, &info, false), 0);
	HT_CHECK_EQ(info.ncpus, 2);
	HT_CHECK(logged("RSDT: 3 trailing byte(s)"));
}

static void
test_zero_length_entry(void)
{
	static const uint8_t z[8] = {0, 0, 9, 9, 1, 0, 0, 0};
	struct madt_b m;

	reset_mem();
	m = madt_begin(PA_MADT, LAPIC_PA, 0);
	madt_lapic(&m, 0, 0, 1);
	madt_lapic(&m, 1, 1, 1);
	madt_raw(&m, z, sizeof(z));
	madt_lapic(&m, 2, 2, 1); /* never reached */
	madt_end(&m);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), 0);
	HT_CHECK_EQ(info.ncpus, 2);
	HT_CHECK_EQ(info.warnings, 1);
	HT_CHECK(logged("MADT entry 2 (type 0) at offset 0x3c: length 0, "
	                "stopping"));

	/* Length 1 is as fatal as 0. */
	reset_mem();
	m = madt_begin(PA_MADT, LAPIC_PA, 0);
	madt_lapic(&m, 0, 0, 1);
	madt_raw(&m, (const uint8_t[]){0x7F, 1, 0, 0}, 4);
	madt_end(&m);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), 0);
	HT_CHECK_EQ(info.ncpus, 1);
	HT_CHECK(logged("length 1, stopping"));

	/* A single trailing byte after the last entry. */
	reset_mem();
	m = madt_begin(PA_MADT, LAPIC_PA, 0);
	madt_lapic(&m, 0, 0, 1);
	madt_raw(&m, (const uint8_t[]){0}, 1);
	madt_end(&m);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), 0);
	HT_CHECK_EQ(info.ncpus, 1);
	HT_CHECK(logged("trailing byte"));
}

static void
test_entry_past_end(void)
{
	struct madt_b m;

	reset_mem();
	m = madt_begin(PA_MADT, LAPIC_PA, 0);
	madt_lapic(&m, 0, 0, 1);
	madt_lapic(&m, 1, 1, 1);
	madt_lapic(&m, 2, 2, 1);
	put8(m.pa + m.len - 7, 40); /* last entry claims 40 bytes */
	madt_end(&m);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), 0);
	HT_CHECK_EQ(info.ncpus, 2);
	HT_CHECK(logged("length 40 runs past the table end (68)"));
}

static void
test_short_and_long_entries(void)
{
	struct madt_b m;
	static const uint8_t shortcpu[6] = {0, 6, 7, 7, 1, 0};
	static const uint8_t shortio[8] = {1, 8, 3, 0, 0, 0, 0xC0, 0xFE};
	static const uint8_t longcpu[12] = {0, 12, 1,    9,    1,    0,
	                                    0, 0,  0xAA, 0xBB, 0xCC, 0xDD};
	static const uint8_t unk[4] = {0x7E, 4, 1, 2};

	reset_mem();
	m = madt_begin(PA_MADT, LAPIC_PA, 0);
	madt_lapic(&m, 0, 0, 1);
	madt_raw(&m, shortcpu, sizeof(shortcpu));
	madt_raw(&m, shortio, sizeof(shortio));
	madt_raw(&m, longcpu, sizeof(longcpu));
	madt_raw(&m, unk, sizeof(unk));
	madt_raw(&m, (const uint8_t[]){0x10, 2}, 2);
	madt_lapic(&m, 2, 2, 1);
	madt_end(&m);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), 0);
	HT_CHECK_EQ(info.ncpus, 3);
	HT_CHECK_EQ(info.cpus[1].apic_id, 9);
	HT_CHECK_EQ(info.cpus[1].acpi_uid, 1);
	HT_CHECK_EQ(info.cpus[2].apic_id, 2);
	HT_CHECK_EQ(info.n_ioapics, 0);
	HT_CHECK_EQ(info.madt_unknown_entries, 2);
	HT_CHECK_EQ(info.warnings, 2);
	HT_CHECK(logged("(type 0) at offset 0x34: length 6 shorter than 8"));
	HT_CHECK(logged("(type 1) at offset 0x3a: length 8 shorter than 12"));
}

/*
 * Every known type, cut short as the very last bytes of the table: a
 * parser that trusted the type's size would read past the mapping, which
 * the exact-size mapper blocks make AddressSanitizer report.
 */
static void
test_short_entry_at_end(void)
{
	static const struct {
		uint8_t type; /* MADT entry type */
		uint8_t min;  /* its size */
	} types[] = {{0, 8}, {1, 12}, {2, 10}, {3, 8},
	             {4, 6}, {5, 12}, {9, 16}, {0xA, 12}};
	uint8_t e[16];
	struct madt_b m;
	u_int t, len;

	for (t = 0; t < nitems(types); t++) {
		for (len = 2; len < types[t].min; len++) {
			reset_mem();
			m = madt_begin(PA_MADT2, LAPIC_PA, 0);
			madt_lapic(&m, 0, 0, 1);
			memset(e, 0x11, sizeof(e));
			e[0] = types[t].type;
			e[1] = (uint8_t)len;
			madt_raw(&m, e, len);
			madt_end(&m);
			HT_CHECK_EQ(parse_rsdt(PA_MADT2, 0), 0);
			HT_CHECK_EQ(info.ncpus, 1);
			HT_CHECK_EQ(info.warnings, 1);
			HT_CHECK(logged("shorter than"));
		}
	}
}

static void
test_maxcpu(void)
{
	struct madt_b m;
	u_int i;
	char want[100];

	reset_mem();
	m = madt_begin(PA_MADT, LAPIC_PA, 1);
	for (i = 0; i < 255; i++)
		madt_lapic(&m, (uint8_t)i, (uint8_t)i, 1);
	for (i = 255; i < 300; i++)
		madt_x2apic(&m, i, i, 1);
	madt_lapic(&m, 0, 3, 1); /* duplicate of a kept CPU */
	madt_end(&m);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), 0);
	HT_CHECK_EQ(info.ncpus, MAXCPU);
	HT_CHECK_EQ(info.ncpus_dropped_maxcpu, 300 - MAXCPU);
	HT_CHECK_EQ(info.cpus[MAXCPU - 1].apic_id, MAXCPU - 1);
	HT_CHECK_EQ(info.warnings, 2);
	snprintf(want, sizeof(want),
	         "MADT lists 300 usable CPUs, more than MAXCPU (%d); using the "
	         "first %d",
	         MAXCPU, MAXCPU);
	HT_CHECK(logged(want));
	HT_CHECK(logged("duplicate APIC ID 3"));
}

static void
test_duplicate_ids(void)
{
	struct madt_b m;

	reset_mem();
	m = madt_begin(PA_MADT, LAPIC_PA, 0);
	madt_lapic(&m, 0, 0, 1);
	madt_lapic(&m, 1, 1, 1);
	madt_lapic(&m, 2, 1, 1);
	madt_lapic(&m, 3, 2, 1);
	madt_lapic(&m, 4, 0, 1);
	madt_end(&m);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), 0);
	HT_CHECK_EQ(info.ncpus, 3);
	HT_CHECK_EQ(info.cpus[1].apic_id, 1);
	HT_CHECK_EQ(info.cpus[1].acpi_uid, 1); /* the first one is kept */
	HT_CHECK_EQ(info.cpus[2].apic_id, 2);
	HT_CHECK_EQ(info.warnings, 2);
	HT_CHECK(logged("duplicate APIC ID 1 (already CPU 1)"));
	HT_CHECK(logged("duplicate APIC ID 0 (already CPU 0)"));
}

static void
test_x2apic(void)
{
	struct madt_b m;

	reset_mem();
	m = madt_begin(PA_MADT, LAPIC_PA, 0);
	madt_lapic(&m, 0, 0, 1);
	madt_lapic(&m, 1, 1, 1);
	madt_lapic(&m, 2, 0xFF, 1); /* enabled broadcast ID: invalid */
	madt_x2apic(&m, 101, 1, 1); /* repeats the type 0 entry */
	madt_x2apic(&m, 300, 300, 1);
	madt_x2apic(&m, 301, 0x10001, 3);
	madt_x2apic(&m, 302, 302, 2); /* online capable only */
	madt_x2apic(&m, 303, 0xFFFFFFFF, 1);
	madt_x2apic_nmi(&m, 0xFFFFFFFF, 5, 1);
	madt_x2apic_nmi(&m, 300, 0, 0);
	madt_x2apic_nmi(&m, 301, 0, 2); /* bad LINT */
	madt_lapic_nmi(&m, 1, 0xF, 1);
	madt_end(&m);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), 0);
	HT_CHECK_EQ(info.ncpus, 4);
	HT_CHECK_EQ(info.cpus[2].apic_id, 300);
	HT_CHECK_EQ(info.cpus[2].acpi_uid, 300);
	HT_CHECK(info.cpus[2].x2apic_entry);
	HT_CHECK(!info.cpus[1].x2apic_entry);
	HT_CHECK_EQ(info.cpus[3].apic_id, 0x10001);
	HT_CHECK_EQ(info.ncpus_skipped_disabled, 1);
	HT_CHECK_EQ(info.n_lapic_nmis, 3);
	HT_CHECK_EQ(info.lapic_nmis[0].acpi_uid, ACPI_UID_ALL);
	HT_CHECK_EQ(info.lapic_nmis[0].flags, 5);
	HT_CHECK_EQ(info.lapic_nmis[1].acpi_uid, 300);
	HT_CHECK_EQ(info.lapic_nmis[1].lint, 0);
	HT_CHECK_EQ(info.lapic_nmis[2].acpi_uid, 1);
	HT_CHECK_EQ(info.lapic_nmis[2].flags, 0xF);
	HT_CHECK_EQ(info.warnings, 4);
	HT_CHECK(logged("APIC ID 0xff is the broadcast ID"));
	HT_CHECK(logged("APIC ID 0xffffffff is the broadcast ID"));
	HT_CHECK(logged("duplicate APIC ID 1"));
	HT_CHECK(logged("LINT2"));
}

static void
test_unmappable(void)
{
	static const uint8_t ids[2] = {0, 1};

	reset_mem();
	qemu_madt(PA_MADT, ids, 2);
	make_rsdp(rsdp_buf, 0, 0xFFFFF000u, 0);
	HT_CHECK_EQ(run_parse(rsdp_buf, 20, &info, false), ACPI_ENOROOT);
	HT_CHECK_EQ(info.ncpus, 0);
	HT_CHECK(logged("RSDT at 0xfffff000: header not mappable"));

	make_rsdp(rsdp_buf, 0, 0, 0);
	HT_CHECK_EQ(run_parse(rsdp_buf, 20, &info, false), ACPI_ENOROOT);
	HT_CHECK(logged("no RSDT address"));

	/* RSDT entries pointing nowhere; the good one still counts. */
	make_rsdt(PA_RSDT, (vm_paddr_t[]){0xFFFFFFF0u, 0, 0x1000, PA_MADT}, 4);
	make_rsdp(rsdp_buf, 0, PA_RSDT, 0);
	HT_CHECK_EQ(run_parse(rsdp_buf, 20, &info, false), 0);
	HT_CHECK_EQ(info.ncpus, 2);
	HT_CHECK_EQ(info.warnings, 3);
	HT_CHECK(logged("RSDT entry 0: table at 0xfffffff0 not mappable"));
	HT_CHECK(logged("RSDT entry 1: null table address"));

	/* XSDT entry near the top of the 64-bit space: no wrap-around. */
	make_xsdt(PA_XSDT, (vm_paddr_t[]){0xFFFFFFFFFFFFFFF0ull, PA_MADT}, 2);
	make_rsdp(rsdp_buf, 2, PA_RSDT, PA_XSDT);
	HT_CHECK_EQ(run_parse(rsdp_buf, 36, &info, false), 0);
	HT_CHECK(info.used_xsdt);
	HT_CHECK_EQ(info.ncpus, 2);
	HT_CHECK_EQ(info.warnings, 1);
}

static void
test_xsdt_preferred(void)
{
	static const uint8_t ids2[2] = {0, 1};
	static const uint8_t ids4[4] = {0, 1, 2, 3};

	reset_mem();
	qemu_madt(PA_MADT, ids2, 2);
	qemu_madt(PA_MADT2, ids4, 4);
	make_rsdt(PA_RSDT, (vm_paddr_t[]){PA_MADT}, 1);
	make_xsdt(PA_XSDT, (vm_paddr_t[]){PA_MADT2}, 1);
	make_rsdp(rsdp_buf, 2, PA_RSDT, PA_XSDT);
	HT_CHECK_EQ(run_parse(rsdp_buf, 36, &info, false), 0);
	HT_CHECK(info.used_xsdt);
	HT_CHECK_EQ(info.rsdp_revision, 2);
	HT_CHECK_EQ(info.ncpus, 4);
	HT_CHECK_EQ(info.warnings, 0);

	/* Broken XSDT: fall back to the RSDT. */
	fakemem[PA_XSDT + 40 - FAKE_BASE] ^= 1;
	HT_CHECK_EQ(run_parse(rsdp_buf, 36, &info, false), 0);
	HT_CHECK(!info.used_xsdt);
	HT_CHECK_EQ(info.ncpus, 2);
	HT_CHECK(logged("XSDT at 0x82000: bad checksum"));

	/* XSDT address with an RSDT signature. */
	make_rsdp(rsdp_buf, 2, PA_RSDT, PA_RSDT);
	HT_CHECK_EQ(run_parse(rsdp_buf, 36, &info, false), 0);
	HT_CHECK(!info.used_xsdt);
	HT_CHECK(logged("XSDT at 0x81000: bad signature"));

	/* Revision 0 RSDP ignores the XSDT even if present. */
	make_xsdt(PA_XSDT, (vm_paddr_t[]){PA_MADT2}, 1);
	make_rsdp(rsdp_buf, 0, PA_RSDT, 0);
	HT_CHECK_EQ(run_parse(rsdp_buf, 20, &info, false), 0);
	HT_CHECK_EQ(info.ncpus, 2);
}

static void
test_no_madt(void)
{
	reset_mem();
	qemu_fadt();
	HT_CHECK_EQ(parse_rsdt(0, PA_FADT), ACPI_ENOMADT);
	HT_CHECK_EQ(info.ncpus, 0);
	HT_CHECK_EQ(info.pm_tmr_port, 0x608);
	HT_CHECK(logged("no valid MADT"));

	/* Empty RSDT. */
	HT_CHECK_EQ(parse_rsdt(0, 0), ACPI_ENOMADT);

	/* Second MADT ignored, first valid one used. */
	{
		static const uint8_t ids2[2] = {0, 1};
		static const uint8_t ids4[4] = {0, 1, 2, 3};

		qemu_madt(PA_MADT, ids2, 2);
		qemu_madt(PA_MADT2, ids4, 4);
		make_rsdt(PA_RSDT, (vm_paddr_t[]){PA_MADT, PA_MADT2}, 2);
		make_rsdp(rsdp_buf, 0, PA_RSDT, 0);
		HT_CHECK_EQ(run_parse(rsdp_buf, 20, &info, false), 0);
		HT_CHECK_EQ(info.ncpus, 2);
		HT_CHECK(logged("second MADT"));
	}
}

static void
test_lapic_override(void)
{
	struct madt_b m;

	reset_mem();
	m = madt_begin(PA_MADT, LAPIC_PA, 0);
	madt_lapic(&m, 0, 0, 1);
	madt_lapic_override(&m, 0x123FEE00000ull);
	madt_end(&m);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), 0);
	HT_CHECK_EQ(info.lapic_pa, 0x123FEE00000ull);
	HT_CHECK_EQ(info.warnings, 0);
}

static void
test_ioapics_overrides(void)
{
	struct madt_b m;
	int i;

	reset_mem();
	m = madt_begin(PA_MADT, LAPIC_PA, 0);
	madt_lapic(&m, 0, 0, 1);
	for (i = 0; i < 20; i++)
		madt_ioapic(&m, (uint8_t)i, IOAPIC_PA + 0x1000 * i, 24 * i);
	madt_ioapic(&m, 99, 0, 0); /* address 0 */
	for (i = 0; i < 40; i++)
		madt_iso(&m, (uint8_t)(i & 15), (uint32_t)i, 0);
	madt_raw(&m, (const uint8_t[]){2, 10, 1, 4, 4, 0, 0, 0, 0, 0}, 10);
	madt_end(&m);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, 0), 0);
	HT_CHECK_EQ(info.n_ioapics, ACPI_MAX_IOAPICS);
	HT_CHECK_EQ(info.ioapics[15].id, 15);
	HT_CHECK_EQ(info.ioapics[15].gsi_base, 24 * 15);
	HT_CHECK_EQ(info.n_overrides, ACPI_MAX_OVERRIDES);
	HT_CHECK_EQ(info.warnings, 4);
	HT_CHECK(logged("more than 16 I/O APICs"));
	HT_CHECK(logged("more than 32 interrupt overrides"));
	HT_CHECK(logged("I/O APIC 99 at address 0"));
	HT_CHECK(logged("override for bus 1"));
}

static void
test_fadt_pm_timer(void)
{
	static const uint8_t ids[1] = {0};

	reset_mem();
	qemu_madt(PA_MADT, ids, 1);

	/* ACPI 1.0 FADT: legacy block only, 24-bit timer. */
	make_fadt(PA_FADT, 116, 0xB008, 4, 0, 0, 0);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, PA_FADT), 0);
	HT_CHECK_EQ(info.pm_tmr_port, 0xB008);
	HT_CHECK(!info.pm_tmr_32bit);
	HT_CHECK_EQ(info.warnings, 0);

	/* X_PM_TMR_BLK in I/O space wins over the legacy field. */
	make_fadt(PA_FADT, 244, 0x1808, 4, 1u << 8, 1, 0x608);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, PA_FADT), 0);
	HT_CHECK_EQ(info.pm_tmr_port, 0x608);
	HT_CHECK(info.pm_tmr_32bit);

	/* Memory-mapped X_PM_TMR_BLK: fall back to the legacy port. */
	make_fadt(PA_FADT, 244, 0x1808, 4, 0, 0, 0xFED00000);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, PA_FADT), 0);
	HT_CHECK_EQ(info.pm_tmr_port, 0x1808);

	/* Memory-mapped only: no usable timer, no warning. */
	make_fadt(PA_FADT, 244, 0, 4, 0, 0, 0xFED00000);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, PA_FADT), 0);
	HT_CHECK_EQ(info.pm_tmr_port, 0);
	HT_CHECK_EQ(info.warnings, 0);

	/* PM_TMR_LEN is not 4: ignored. */
	make_fadt(PA_FADT, 244, 0x608, 0, 0, 0, 0);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, PA_FADT), 0);
	HT_CHECK_EQ(info.pm_tmr_port, 0);
	HT_CHECK(logged("PM timer length 0"));

	/* Port beyond 16 bits. */
	make_fadt(PA_FADT, 244, 0, 4, 0, 1, 0x12345);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, PA_FADT), 0);
	HT_CHECK_EQ(info.pm_tmr_port, 0);
	HT_CHECK(logged("outside I/O space"));

	/* FADT too short to hold the fields. */
	make_fadt(PA_FADT, 100, 0x608, 4, 0, 0, 0);
	HT_CHECK_EQ(parse_rsdt(PA_MADT, PA_FADT), 0);
	HT_CHECK_EQ(info.pm_tmr_port, 0);
	HT_CHECK(logged("FADT: length 100 shorter than 116"));

	/* Bad FADT checksum: no timer, CPUs still found. */
	make_fadt(PA_FADT, 244, 0x608, 4, 0, 0, 0);
	fakemem[PA_FADT + 100 - FAKE_BASE] ^= 0x80;
	HT_CHECK_EQ(parse_rsdt(PA_MADT, PA_FADT), 0);
	HT_CHECK_EQ(info.ncpus, 1);
	HT_CHECK_EQ(info.pm_tmr_port, 0);
	HT_CHECK(logged("FADT at 0x83001: bad checksum"));
}

/* ------------------------------------------------------------------ */
/* Fuzzing                                                             */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull; /* xorshift64 state */

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Compact table set for fuzzing: everything lives in the first 4 KiB. */
#define FZ_RSDT (FAKE_BASE + 0x100)
#define FZ_XSDT (FAKE_BASE + 0x180)
#define FZ_FADT (FAKE_BASE + 0x201)
#define FZ_MADT (FAKE_BASE + 0x400)
#define FZ_SPAN 0x1000

/* Recompute a checksum even if the length field is now garbage. */
static void
fuzz_fix(vm_paddr_t pa)
{
	uint32_t len = get32(pa + 4);

	if (len >= 10 && len <= FAKE_SIZE - (pa - FAKE_BASE))
		fix_checksum(pa);
}

static void
fuzz_build(void)
{
	struct madt_b m;
	int i;

	reset_mem();
	make_fadt(FZ_FADT, 244, 0x608, 4, 1u << 8, 1, 0x608);
	m = madt_begin(FZ_MADT, LAPIC_PA, 1);
	for (i = 0; i < 6; i++)
		madt_lapic(&m, (uint8_t)i, (uint8_t)(i * 2), i == 4 ? 2 : 1);
	madt_x2apic(&m, 20, 300, 1);
	madt_x2apic(&m, 21, 2, 1);
	madt_ioapic(&m, 0, IOAPIC_PA, 0);
	madt_iso(&m, 0, 2, 0);
	madt_iso(&m, 9, 9, 0xD);
	madt_lapic_nmi(&m, 0xFF, 0, 1);
	madt_x2apic_nmi(&m, 20, 0, 1);
	madt_lapic_override(&m, LAPIC_PA);
	madt_raw(&m, (const uint8_t[]){0x7F, 4, 0, 0}, 4);
	madt_end(&m);
	make_rsdt(FZ_RSDT, (vm_paddr_t[]){FZ_FADT, FZ_MADT}, 2);
	make_xsdt(FZ_XSDT, (vm_paddr_t[]){FZ_FADT, FZ_MADT}, 2);
	make_rsdp(rsdp_buf, 2, FZ_RSDT, FZ_XSDT);
}

static void
fuzz_mutate(uint8_t *rsdp)
{
	static const uint32_t lens[] = {
	    0,   1,    2,      35,      36,       43,       44,        45,
	    100, 0xFF, 0x1000, 0xFFFFF, 0x100000, 0x100001, 0xFFFFFFFF};
	static const vm_paddr_t tables[] = {FZ_RSDT, FZ_XSDT, FZ_FADT, FZ_MADT};
	int n = 1 + (int)(rnd() % 8), i;
	uint32_t off, madt_len = get32(FZ_MADT + 4);

	for (i = 0; i < n; i++) {
		switch (rnd() % 8) {
		case 0: /* a length field of some table */
			put32(tables[rnd() % 4] + 4,
			      lens[rnd() % nitems(lens)]);
			break;
		case 1: /* an entry length byte in the MADT */
		case 2:
			if (madt_len > 44 && madt_len < FZ_SPAN) {
				off = 44 + rnd() % (madt_len - 44);
				put8(FZ_MADT + off, (uint8_t)(rnd() % 24));
			}
			break;
		case 3: /* an RSDP byte */
			rsdp[rnd() % 36] = (uint8_t)rnd();
			break;
		case 4: /* a whole random MADT body */
			if (madt_len > 44 && madt_len < FZ_SPAN) {
				for (off = 44; off < madt_len; off++)
					put8(FZ_MADT + off, (uint8_t)rnd());
			}
			break;
		default: /* any byte of the table area */
			off = rnd() % (FZ_SPAN - 0x100);
			put8(FAKE_BASE + 0x100 + off, (uint8_t)rnd());
			break;
		}
	}
	if (rnd() % 4 != 0) {
		/* Make corruption pass the checksums to reach the parsers. */
		for (i = 0; i < 4; i++)
			fuzz_fix(tables[i]);
		rsdp[8] = 0;
		rsdp[8] = (uint8_t) -
		          (uint8_t)(rsdp[0] + rsdp[1] + rsdp[2] + rsdp[3] +
		                    rsdp[4] + rsdp[5] + rsdp[6] + rsdp[7] +
		                    rsdp[9] + rsdp[10] + rsdp[11] + rsdp[12] +
		                    rsdp[13] + rsdp[14] + rsdp[15] + rsdp[16] +
		                    rsdp[17] + rsdp[18] + rsdp[19]);
		if (rnd() % 2) {
			uint8_t s = 0;

			rsdp[32] = 0;
			for (i = 0; i < 36; i++)
				s += rsdp[i];
			rsdp[32] = (uint8_t)-s;
		}
	}
}

static void
test_fuzz(void)
{
	static uint8_t snap[FZ_SPAN];
	uint8_t rsdp[36], rsdp_snap[36];
	int iter, r, bad = 0, ok = 0, warned = 0;
	u_int i, j, maxcpus = 0;
	unsigned long calls0 = map_calls;

	fuzz_build();
	memcpy(snap, fm(FAKE_BASE), FZ_SPAN);
	memcpy(rsdp_snap, rsdp_buf, 36);
	r = run_parse(rsdp_snap, 36, &info, true);
	HT_CHECK_EQ(r, 0);
	HT_CHECK_EQ(info.ncpus, 6);
	HT_CHECK_EQ(info.warnings, 1); /* the x2APIC duplicate of ID 2 */

	for (iter = 0; iter < 20000; iter++) {
		memcpy(fm(FAKE_BASE), snap, FZ_SPAN);
		memcpy(rsdp, rsdp_snap, 36);
		fuzz_mutate(rsdp);
		r = run_parse(rsdp, (iter & 7) ? 36 : 20, &info, true);
		if (r == 0)
			ok++;
		if (info.warnings != 0)
			warned++;
		if (info.ncpus > maxcpus)
			maxcpus = info.ncpus;
		if (info.ncpus > MAXCPU || (r < 0) != (info.ncpus == 0) ||
		    info.n_ioapics > ACPI_MAX_IOAPICS ||
		    info.n_overrides > ACPI_MAX_OVERRIDES ||
		    info.n_lapic_nmis > ACPI_MAX_LAPIC_NMIS ||
		    info.oem_id[6] != '\0') {
			bad++;
			continue;
		}
		for (i = 0; i < info.ncpus; i++) {
			if (!info.cpus[i].x2apic_entry &&
			    info.cpus[i].apic_id >= 0xFF)
				bad++;
			for (j = i + 1; j < info.ncpus; j++)
				if (info.cpus[i].apic_id ==
				    info.cpus[j].apic_id)
					bad++;
		}
	}
	printf("    # fuzz: %d iterations, %d parsed ok, %d with warnings, "
	       "max %u CPUs, %lu mapper calls\n",
	       iter, ok, warned, maxcpus, map_calls - calls0);
	HT_CHECK_EQ(bad, 0);
	HT_CHECK(ok > 100);      /* corruption did not always kill it */
	HT_CHECK(warned > 1000); /* and did exercise the checks */
}

int
main(void)
{
	ht_begin();
	ht_run("good_qemu_madt_8_cpus", test_good_qemu);
	ht_run("noncontiguous_apic_ids", test_noncontiguous_ids);
	ht_run("disabled_cpus_skipped", test_disabled_cpus);
	ht_run("all_cpus_disabled", test_all_disabled);
	ht_run("bad_rsdp", test_bad_rsdp);
	ht_run("bad_madt_checksum", test_bad_madt_checksum);
	ht_run("truncated_table", test_truncated_table);
	ht_run("short_header", test_short_header);
	ht_run("zero_length_entry", test_zero_length_entry);
	ht_run("entry_past_end", test_entry_past_end);
	ht_run("short_and_long_entries", test_short_and_long_entries);
	ht_run("short_entry_at_table_end", test_short_entry_at_end);
	ht_run("more_than_maxcpu", test_maxcpu);
	ht_run("duplicate_apic_ids", test_duplicate_ids);
	ht_run("x2apic_entries", test_x2apic);
	ht_run("unmappable_addresses", test_unmappable);
	ht_run("xsdt_preferred", test_xsdt_preferred);
	ht_run("no_madt", test_no_madt);
	ht_run("lapic_address_override", test_lapic_override);
	ht_run("ioapic_and_override_limits", test_ioapics_overrides);
	ht_run("fadt_pm_timer", test_fadt_pm_timer);
	ht_run("fuzz", test_fuzz);
	free(maps);
	return ht_done();
}
