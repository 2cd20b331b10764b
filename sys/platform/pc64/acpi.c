/*
 * ACPI static-table parser: RSDP -> XSDT/RSDT -> MADT and FADT.
 *
 * The parser finds the CPUs the kernel will start (MADT local APIC and
 * x2APIC entries), the I/O APICs, ISA interrupt overrides, local APIC NMI
 * pins and the ACPI PM timer.  It runs once on the boot CPU before any
 * other CPU is started, so it needs no locking.
 *
 * Why it is safe against hostile or broken tables:
 *  - Physical memory is only reached through the caller's mapper, and no
 *    byte is read outside a range the mapper returned: an SDT is first
 *    mapped for its 36-byte header only, its length is checked (>= 36,
 *    <= ACPI_MAX_TABLE_LEN, no address wrap-around) and only then is the
 *    whole table mapped and checksummed.
 *  - Every loop is bounded by a length that was checked against a mapping:
 *    the root-table loop by its entry count, the MADT walk by the table
 *    length, and each MADT step advances by the entry's length, which is
 *    at least 2 (a zero or one-byte entry stops the walk).
 *  - Entries shorter than their type needs are skipped before any field
 *    is read; longer ones are accepted and the tail ignored.
 *  - Multi-byte fields are assembled from single bytes, so unaligned
 *    tables cause no misaligned loads; there are no divisions by values
 *    taken from the tables.
 *  - Output arrays have fixed sizes and every append checks the bound.
 */
#include "acpi.h"

#include <stdarg.h>
#include <sys/systm.h>

#define ACPI_RSDP_V1_LEN      20 /* RSDP up to RsdtAddress */
#define ACPI_RSDP_V2_LEN      36 /* RSDP with Length, XsdtAddress, ExtChecksum */
#define ACPI_SDT_HDR_LEN      36  /* common header of every SDT */
#define ACPI_MADT_HDR_LEN     44  /* SDT header + LAPIC address + flags */
#define ACPI_FADT_V1_LEN      116 /* ACPI 1.0 FADT, through Flags */
#define ACPI_FADT_XPMTMR      208 /* offset of X_PM_TMR_BLK (12-byte GAS) */
#define ACPI_GAS_LEN          12  /* Generic Address Structure */
#define ACPI_GAS_SYSTEM_IO    1   /* GAS address space: port I/O */
#define ACPI_FADT_TMR_VAL_EXT (1u << 8) /* FADT flag: 32-bit PM timer */
#define ACPI_MADT_PCAT_COMPAT (1u << 0) /* MADT flag: dual 8259 present */
#define ACPI_LAPIC_ENABLED    (1u << 0) /* CPU entry flag: usable now */
#define ACPI_WARN_PRINT_MAX   32 /* warnings printed; the rest only counted */

/* MADT entry types this parser understands. */
#define MADT_LAPIC          0x0
#define MADT_IOAPIC         0x1
#define MADT_INT_OVERRIDE   0x2
#define MADT_NMI_SOURCE     0x3
#define MADT_LAPIC_NMI      0x4
#define MADT_LAPIC_OVERRIDE 0x5
#define MADT_X2APIC         0x9
#define MADT_X2APIC_NMI     0xA

struct acpi_ctx {
	acpi_map_fn map;      /* caller's physical-memory mapper */
	void *arg;            /* its argument */
	struct acpi_info *ai; /* result being filled */
	bool ioapic_full;     /* "too many I/O APICs" already warned */
	bool override_full;   /* "too many overrides" already warned */
	bool nmi_full;        /* "too many NMI entries" already warned */
};

static void acpi_warn(struct acpi_ctx *c, const char *fmt, ...)
    __printflike(2, 3);

/*
 * Print one warning line and count it.  A table full of garbage could
 * otherwise produce hundreds of thousands of lines on the boot console,
 * so only the first ACPI_WARN_PRINT_MAX are printed; all are counted.
 */
static void
acpi_warn(struct acpi_ctx *c, const char *fmt, ...)
{
	char buf[192];
	va_list ap;

	c->ai->warnings++;
	if (c->ai->warnings > ACPI_WARN_PRINT_MAX + 1)
		return;
	if (c->ai->warnings == ACPI_WARN_PRINT_MAX + 1) {
		kprintf("acpi: warning: too many warnings, not printing "
		        "the rest\n");
		return;
	}
	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kprintf("acpi: warning: %s\n", buf);
}

/* Little-endian field reads that need no alignment. */
static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t
rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* ACPI checksums: all bytes of the structure sum to 0 mod 256. */
static uint8_t
acpi_sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;
	size_t i;

	for (i = 0; i < len; i++)
		s += p[i];
	return s;
}

/* Map [pa, pa + len), refusing ranges that wrap around the address space. */
static const uint8_t *
acpi_map(struct acpi_ctx *c, vm_paddr_t pa, size_t len)
{
	if (len == 0 || pa > UINT64_MAX - (len - 1))
		return NULL;
	return c->map(pa, len, c->arg);
}

/*
 * Map and validate the SDT at pa: header mappable, sane length, whole
 * table mappable, signature sig (if not NULL) and checksum.  Returns the
 * table and its length, or NULL after one warning naming the table.
 */
static const uint8_t *
acpi_map_sdt(struct acpi_ctx *c, vm_paddr_t pa, const char *name,
             const char *sig, uint32_t *lenp)
{
	const uint8_t *h, *t;
	uint32_t len;

	h = acpi_map(c, pa, ACPI_SDT_HDR_LEN);
	if (h == NULL) {
		acpi_warn(c, "%s at 0x%lx: header not mappable, skipped", name,
		          (u_long)pa);
		return NULL;
	}
	if (sig != NULL && memcmp(h, sig, 4) != 0) {
		acpi_warn(c, "%s at 0x%lx: bad signature, skipped", name,
		          (u_long)pa);
		return NULL;
	}
	len = rd32(h + 4);
	if (len < ACPI_SDT_HDR_LEN) {
		acpi_warn(
		    c,
		    "%s at 0x%lx: length %u shorter than its 36-byte header, "
		    "skipped",
		    name, (u_long)pa, len);
		return NULL;
	}
	if (len > ACPI_MAX_TABLE_LEN) {
		acpi_warn(c,
		          "%s at 0x%lx: length %u over the %u-byte limit, "
		          "skipped",
		          name, (u_long)pa, len, ACPI_MAX_TABLE_LEN);
		return NULL;
	}
	t = acpi_map(c, pa, len);
	if (t == NULL) {
		acpi_warn(c,
		          "%s at 0x%lx: length %u runs past mappable memory, "
		          "skipped",
		          name, (u_long)pa, len);
		return NULL;
	}
	if (acpi_sum(t, len) != 0) {
		acpi_warn(c, "%s at 0x%lx: bad checksum, skipped", name,
		          (u_long)pa);
		return NULL;
	}
	*lenp = len;
	return t;
}

/*
 * Walk the RSDT (esize 4) or XSDT (esize 8) and remember the first valid
 * MADT and FADT.  Only tables with a wanted signature are validated, so an
 * unrelated broken table costs nothing.
 */
static void
acpi_walk_root(struct acpi_ctx *c, const uint8_t *root, uint32_t len,
               u_int esize, const char *name, const uint8_t **madt,
               uint32_t *madt_len, const uint8_t **fadt, uint32_t *fadt_len)
{
	const uint8_t *h;
	uint32_t n, i, rest;
	vm_paddr_t pa;

	n = (len - ACPI_SDT_HDR_LEN) / esize; /* esize is 4 or 8, never 0 */
	rest = (len - ACPI_SDT_HDR_LEN) % esize;
	if (rest != 0)
		acpi_warn(c,
		          "%s: %u trailing byte(s) after %u entries, ignored",
		          name, rest, n);
	for (i = 0; i < n; i++) {
		const uint8_t *ent = root + ACPI_SDT_HDR_LEN + i * esize;

		pa = esize == 8 ? rd64(ent) : rd32(ent);
		if (pa == 0) {
			acpi_warn(c, "%s entry %u: null table address, skipped",
			          name, i);
			continue;
		}
		h = acpi_map(c, pa, ACPI_SDT_HDR_LEN);
		if (h == NULL) {
			acpi_warn(
			    c,
			    "%s entry %u: table at 0x%lx not mappable, skipped",
			    name, i, (u_long)pa);
			continue;
		}
		if (memcmp(h, "APIC", 4) == 0) {
			if (*madt != NULL)
				acpi_warn(c,
				          "%s entry %u: second MADT at 0x%lx "
				          "ignored",
				          name, i, (u_long)pa);
			else
				*madt =
				    acpi_map_sdt(c, pa, "MADT", NULL, madt_len);
		} else if (memcmp(h, "FACP", 4) == 0) {
			if (*fadt != NULL)
				acpi_warn(c,
				          "%s entry %u: second FADT at 0x%lx "
				          "ignored",
				          name, i, (u_long)pa);
			else
				*fadt =
				    acpi_map_sdt(c, pa, "FADT", NULL, fadt_len);
		}
	}
}

/*
 * FADT: the ACPI PM timer.  X_PM_TMR_BLK takes precedence when present and
 * in port I/O space; a memory-mapped timer is not supported here, so then
 * the legacy PM_TMR_BLK port is used if the firmware also provides one.
 */
static void
acpi_parse_fadt(struct acpi_ctx *c, const uint8_t *f, uint32_t len)
{
	uint64_t port;
	uint8_t tmr_len;

	if (len < ACPI_FADT_V1_LEN) {
		acpi_warn(c, "FADT: length %u shorter than %u, ignored", len,
		          ACPI_FADT_V1_LEN);
		return;
	}
	port = rd32(f + 76); /* PM_TMR_BLK */
	tmr_len = f[91];     /* PM_TMR_LEN */
	if (len >= ACPI_FADT_XPMTMR + ACPI_GAS_LEN &&
	    rd64(f + ACPI_FADT_XPMTMR + 4) != 0 &&
	    f[ACPI_FADT_XPMTMR] == ACPI_GAS_SYSTEM_IO)
		port = rd64(f + ACPI_FADT_XPMTMR + 4);
	if (port == 0)
		return;
	if (tmr_len != 4) {
		acpi_warn(c,
		          "FADT: PM timer length %u, expected 4; PM timer "
		          "ignored",
		          tmr_len);
		return;
	}
	if (port > 0xFFFF) {
		acpi_warn(c,
		          "FADT: PM timer port 0x%lx outside I/O space, "
		          "ignored",
		          (u_long)port);
		return;
	}
	c->ai->pm_tmr_port = (uint16_t)port;
	c->ai->pm_tmr_32bit = (rd32(f + 112) & ACPI_FADT_TMR_VAL_EXT) != 0;
}

/* Smallest valid length of a MADT entry type, or 0 for unknown types. */
static u_int
madt_min_len(uint8_t type)
{
	switch (type) {
	case MADT_LAPIC:
		return 8;
	case MADT_IOAPIC:
		return 12;
	case MADT_INT_OVERRIDE:
		return 10;
	case MADT_NMI_SOURCE:
		return 8;
	case MADT_LAPIC_NMI:
		return 6;
	case MADT_LAPIC_OVERRIDE:
		return 12;
	case MADT_X2APIC:
		return 16;
	case MADT_X2APIC_NMI:
		return 12;
	default:
		return 0;
	}
}

/*
 * Record one processor entry.  Duplicates are checked against the CPUs
 * kept so far, which also catches an x2APIC entry repeating a type 0 one.
 */
static void
madt_add_cpu(struct acpi_ctx *c, u_int idx, uint32_t off, uint32_t apic_id,
             uint32_t uid, uint32_t flags, bool x2)
{
	struct acpi_info *ai = c->ai;
	u_int i;

	if ((flags & ACPI_LAPIC_ENABLED) == 0) {
		/* Hot-pluggable (Online Capable) or unusable: not started. */
		ai->ncpus_skipped_disabled++;
		return;
	}
	if ((!x2 && apic_id == 0xFF) || (x2 && apic_id == 0xFFFFFFFFu)) {
		acpi_warn(c,
		          "MADT entry %u at offset 0x%x: APIC ID 0x%x is the "
		          "broadcast ID, skipped",
		          idx, off, apic_id);
		return;
	}
	for (i = 0; i < ai->ncpus; i++) {
		if (ai->cpus[i].apic_id == apic_id) {
			acpi_warn(
			    c,
			    "MADT entry %u at offset 0x%x: duplicate APIC ID "
			    "%u (already CPU %u), skipped",
			    idx, off, apic_id, i);
			return;
		}
	}
	if (ai->ncpus >= MAXCPU) {
		ai->ncpus_dropped_maxcpu++;
		return;
	}
	ai->cpus[ai->ncpus].apic_id = apic_id;
	ai->cpus[ai->ncpus].acpi_uid = uid;
	ai->cpus[ai->ncpus].x2apic_entry = x2;
	ai->ncpus++;
}

static void
madt_add_nmi(struct acpi_ctx *c, u_int idx, uint32_t off, uint32_t uid,
             uint8_t lint, uint16_t flags)
{
	struct acpi_info *ai = c->ai;

	if (lint > 1) {
		acpi_warn(
		    c,
		    "MADT entry %u at offset 0x%x: NMI on LINT%u, which does "
		    "not exist, skipped",
		    idx, off, lint);
		return;
	}
	if (ai->n_lapic_nmis >= ACPI_MAX_LAPIC_NMIS) {
		if (!c->nmi_full)
			acpi_warn(c,
			          "MADT entry %u at offset 0x%x: more than %u "
			          "local APIC NMI entries, ignoring the rest",
			          idx, off, ACPI_MAX_LAPIC_NMIS);
		c->nmi_full = true;
		return;
	}
	ai->lapic_nmis[ai->n_lapic_nmis].acpi_uid = uid;
	ai->lapic_nmis[ai->n_lapic_nmis].lint = lint;
	ai->lapic_nmis[ai->n_lapic_nmis].flags = flags;
	ai->n_lapic_nmis++;
}

/* Handle one MADT entry e[0..elen), elen >= madt_min_len(e[0]). */
static void
madt_entry(struct acpi_ctx *c, u_int idx, uint32_t off, const uint8_t *e)
{
	struct acpi_info *ai = c->ai;
	uint8_t uid8;

	switch (e[0]) {
	case MADT_LAPIC:
		madt_add_cpu(c, idx, off, e[3], e[2], rd32(e + 4), false);
		break;
	case MADT_X2APIC:
		madt_add_cpu(c, idx, off, rd32(e + 4), rd32(e + 12),
		             rd32(e + 8), true);
		break;
	case MADT_IOAPIC:
		if (rd32(e + 4) == 0) {
			acpi_warn(
			    c,
			    "MADT entry %u at offset 0x%x: I/O APIC %u at "
			    "address 0, skipped",
			    idx, off, e[2]);
			break;
		}
		if (ai->n_ioapics >= ACPI_MAX_IOAPICS) {
			if (!c->ioapic_full)
				acpi_warn(
				    c,
				    "MADT entry %u at offset 0x%x: more than "
				    "%u I/O APICs, ignoring the rest",
				    idx, off, ACPI_MAX_IOAPICS);
			c->ioapic_full = true;
			break;
		}
		ai->ioapics[ai->n_ioapics].id = e[2];
		ai->ioapics[ai->n_ioapics].pa = rd32(e + 4);
		ai->ioapics[ai->n_ioapics].gsi_base = rd32(e + 8);
		ai->n_ioapics++;
		break;
	case MADT_INT_OVERRIDE:
		if (e[2] != 0) {
			acpi_warn(
			    c,
			    "MADT entry %u at offset 0x%x: override for bus "
			    "%u, only ISA (0) is defined, skipped",
			    idx, off, e[2]);
			break;
		}
		if (ai->n_overrides >= ACPI_MAX_OVERRIDES) {
			if (!c->override_full)
				acpi_warn(
				    c,
				    "MADT entry %u at offset 0x%x: more than "
				    "%u interrupt overrides, ignoring the rest",
				    idx, off, ACPI_MAX_OVERRIDES);
			c->override_full = true;
			break;
		}
		ai->overrides[ai->n_overrides].bus = e[2];
		ai->overrides[ai->n_overrides].irq = e[3];
		ai->overrides[ai->n_overrides].gsi = rd32(e + 4);
		ai->overrides[ai->n_overrides].flags = rd16(e + 8);
		ai->n_overrides++;
		break;
	case MADT_NMI_SOURCE:
		/* I/O APIC input wired to NMI: not used by this kernel. */
		break;
	case MADT_LAPIC_NMI:
		uid8 = e[2];
		madt_add_nmi(c, idx, off, uid8 == 0xFF ? ACPI_UID_ALL : uid8,
		             e[5], rd16(e + 3));
		break;
	case MADT_X2APIC_NMI:
		madt_add_nmi(c, idx, off, rd32(e + 4), e[8], rd16(e + 2));
		break;
	case MADT_LAPIC_OVERRIDE:
		ai->lapic_pa = rd64(e + 4);
		break;
	}
}

/*
 * Walk the MADT entries.  Each step either stops or advances off by the
 * entry length, which is >= 2 and keeps the entry inside the table, so the
 * walk ends after at most len / 2 steps.
 */
static void
acpi_parse_madt(struct acpi_ctx *c, const uint8_t *m, uint32_t len)
{
	struct acpi_info *ai = c->ai;
	uint32_t off, elen, minlen;
	u_int idx;
	uint8_t type;

	if (len < ACPI_MADT_HDR_LEN) {
		acpi_warn(c, "MADT: length %u shorter than %u, no entries", len,
		          ACPI_MADT_HDR_LEN);
		return;
	}
	ai->lapic_pa = rd32(m + 36);
	ai->pcat_compat = (rd32(m + 40) & ACPI_MADT_PCAT_COMPAT) != 0;

	for (off = ACPI_MADT_HDR_LEN, idx = 0; off < len; off += elen, idx++) {
		if (len - off < 2) {
			acpi_warn(
			    c, "MADT: %u trailing byte at offset 0x%x, ignored",
			    len - off, off);
			break;
		}
		type = m[off];
		elen = m[off + 1];
		if (elen < 2) {
			acpi_warn(
			    c,
			    "MADT entry %u (type %u) at offset 0x%x: length "
			    "%u, stopping the walk",
			    idx, type, off, elen);
			break;
		}
		if (elen > len - off) {
			acpi_warn(
			    c,
			    "MADT entry %u (type %u) at offset 0x%x: length "
			    "%u runs past the table end (%u), stopping the "
			    "walk",
			    idx, type, off, elen, len);
			break;
		}
		minlen = madt_min_len(type);
		if (minlen == 0) {
			ai->madt_unknown_entries++;
			continue;
		}
		if (elen < minlen) {
			acpi_warn(
			    c,
			    "MADT entry %u (type %u) at offset 0x%x: length "
			    "%u shorter than %u, skipped",
			    idx, type, off, elen, minlen);
			continue;
		}
		madt_entry(c, idx, off, m + off);
	}

	if (ai->ncpus_dropped_maxcpu != 0)
		acpi_warn(
		    c,
		    "MADT lists %u usable CPUs, more than MAXCPU (%u); using "
		    "the first %u",
		    ai->ncpus + ai->ncpus_dropped_maxcpu, (u_int)MAXCPU,
		    (u_int)MAXCPU);
}

int
acpi_parse(const void *rsdp, size_t rsdp_len, acpi_map_fn map, void *arg,
           struct acpi_info *out)
{
	struct acpi_ctx ctx = {.map = map, .arg = arg, .ai = out};
	struct acpi_ctx *c = &ctx;
	const uint8_t *r = rsdp;
	const uint8_t *root = NULL, *madt = NULL, *fadt = NULL;
	uint32_t root_len = 0, madt_len = 0, fadt_len = 0, xlen;
	vm_paddr_t rsdt_pa, xsdt_pa = 0;
	u_int i;

	memset(out, 0, sizeof(*out));

	/* RSDP: without a trustworthy one there is nothing to follow. */
	if (r == NULL || rsdp_len < ACPI_RSDP_V1_LEN) {
		acpi_warn(c, "RSDP: missing or only %lu bytes long",
		          (u_long)rsdp_len);
		return ACPI_ENORSDP;
	}
	if (memcmp(r, "RSD PTR ", 8) != 0) {
		acpi_warn(c, "RSDP: bad signature, ignoring ACPI");
		return ACPI_ENORSDP;
	}
	if (acpi_sum(r, ACPI_RSDP_V1_LEN) != 0) {
		acpi_warn(c, "RSDP: bad checksum, ignoring ACPI");
		return ACPI_ENORSDP;
	}
	for (i = 0; i < 6; i++) {
		uint8_t ch = r[9 + i];

		out->oem_id[i] = (ch >= 0x20 && ch < 0x7F) ? (char)ch : '?';
	}
	out->oem_id[6] = '\0';
	out->rsdp_revision = r[15];
	rsdt_pa = rd32(r + 16);

	/* ACPI 2.0+: the XSDT, if the extended part checks out. */
	if (r[15] >= 2) {
		if (rsdp_len < ACPI_RSDP_V2_LEN) {
			acpi_warn(
			    c,
			    "RSDP: revision %u but only %lu bytes; using the "
			    "RSDT",
			    r[15], (u_long)rsdp_len);
		} else if ((xlen = rd32(r + 20)) < ACPI_RSDP_V2_LEN ||
		           xlen > rsdp_len) {
			acpi_warn(
			    c, "RSDP: length %u not in %u..%lu; using the RSDT",
			    xlen, ACPI_RSDP_V2_LEN, (u_long)rsdp_len);
		} else if (acpi_sum(r, xlen) != 0) {
			acpi_warn(
			    c, "RSDP: bad extended checksum; using the RSDT");
		} else {
			xsdt_pa = rd64(r + 24);
		}
	}
	if (xsdt_pa != 0) {
		root = acpi_map_sdt(c, xsdt_pa, "XSDT", "XSDT", &root_len);
		if (root != NULL) {
			out->used_xsdt = true;
			acpi_walk_root(c, root, root_len, 8, "XSDT", &madt,
			               &madt_len, &fadt, &fadt_len);
		}
	}
	if (root == NULL) {
		if (rsdt_pa == 0) {
			acpi_warn(c, "RSDP: no RSDT address");
			return ACPI_ENOROOT;
		}
		root = acpi_map_sdt(c, rsdt_pa, "RSDT", "RSDT", &root_len);
		if (root == NULL)
			return ACPI_ENOROOT;
		acpi_walk_root(c, root, root_len, 4, "RSDT", &madt, &madt_len,
		               &fadt, &fadt_len);
	}

	if (fadt != NULL)
		acpi_parse_fadt(c, fadt, fadt_len);
	if (madt == NULL) {
		acpi_warn(c, "no valid MADT; CPUs cannot be enumerated");
		return ACPI_ENOMADT;
	}
	acpi_parse_madt(c, madt, madt_len);
	if (out->ncpus == 0) {
		acpi_warn(c, "MADT lists no usable CPU");
		return ACPI_ENOCPU;
	}
	return 0;
}

void
acpi_print(const struct acpi_info *ai)
{
	char line[160];
	size_t n = 0;
	u_int i;

	kprintf("acpi: OEM \"%s\", RSDP revision %u, tables via %s\n",
	        ai->oem_id, ai->rsdp_revision, ai->used_xsdt ? "XSDT" : "RSDT");
	kprintf("acpi: %u CPU(s), local APIC at 0x%lx%s\n", ai->ncpus,
	        (u_long)ai->lapic_pa,
	        ai->pcat_compat ? ", 8259 PICs present" : "");
	/* APIC IDs, 12 per line: each " 4294967295x" fits in 12 chars. */
	for (i = 0; i < ai->ncpus; i++) {
		if (n == 0)
			n = (size_t)ksnprintf(line, sizeof(line),
			                      "acpi: APIC IDs:");
		n += (size_t)ksnprintf(line + n, sizeof(line) - n, " %u%s",
		                       ai->cpus[i].apic_id,
		                       ai->cpus[i].x2apic_entry ? "x" : "");
		if (n >= sizeof(line))
			n = sizeof(line) -
			    1; /* cannot happen; stay in bounds */
		if (i % 12 == 11 || i + 1 == ai->ncpus) {
			kprintf("%s\n", line);
			n = 0;
		}
	}
	if (ai->ncpus_skipped_disabled != 0 || ai->ncpus_dropped_maxcpu != 0)
		kprintf("acpi: %u disabled CPU entries skipped, %u CPUs over "
		        "MAXCPU dropped\n",
		        ai->ncpus_skipped_disabled, ai->ncpus_dropped_maxcpu);
	for (i = 0; i < ai->n_ioapics; i++)
		kprintf("acpi: I/O APIC id %u at 0x%lx, GSI base %u\n",
		        ai->ioapics[i].id, (u_long)ai->ioapics[i].pa,
		        ai->ioapics[i].gsi_base);
	for (i = 0; i < ai->n_overrides; i++)
		kprintf("acpi: ISA IRQ %u -> GSI %u, flags 0x%x\n",
		        ai->overrides[i].irq, ai->overrides[i].gsi,
		        ai->overrides[i].flags);
	if (ai->n_lapic_nmis != 0)
		kprintf("acpi: %u local APIC NMI entries\n", ai->n_lapic_nmis);
	if (ai->pm_tmr_port != 0)
		kprintf("acpi: PM timer at port 0x%x, %u-bit\n",
		        ai->pm_tmr_port, ai->pm_tmr_32bit ? 32 : 24);
	else
		kprintf("acpi: no PM timer\n");
	if (ai->warnings != 0)
		kprintf("acpi: %u warning(s)\n", ai->warnings);
}
