/*
 * Host tests for the multiboot2 information parser (multiboot.c).
 *
 * Blocks are built by hand with a small tag writer, then handed to
 * mb2_parse() from a heap block of exactly the readable size placed one
 * byte off 8-byte alignment: AddressSanitizer reports any read past what
 * the parser was allowed to read, UBSan any misaligned load.  The well-
 * formed tests check every field the parser copies; the malformed ones
 * break one rule each (total_size, tag sizes, memory map entry sizes,
 * table overflow, strings without room or without a NUL) and check both
 * the outcome and the warning text.  A fuzz loop corrupts valid blocks at
 * random and checks that parsing never reads out of bounds and that the
 * result always satisfies the structure's invariants.
 *
 * kprintf() output is captured (cons_puts below replaces the weak one in
 * host_support.c) so tests can look for warnings without flooding KTAP.
 */
#include <machine/bootinfo.h>

#include <string.h>

#include <sys/systm.h>

#include "htest.h"

#define T_END      0
#define T_CMDLINE  1
#define T_LOADER   2
#define T_MODULE   3
#define T_MMAP     6
#define T_ACPI_OLD 14
#define T_ACPI_NEW 15

#define MBI_PA 0x10000ull /* the physical address the tests pretend */

static struct bootinfo bi; /* the parse result */

/* ------------------------------------------------------------------ */
/* Captured console output                                             */

static char logbuf[1 << 16]; /* kprintf() output since log_reset() */
static size_t loglen;        /* bytes in logbuf */

void cons_puts(const char *s, size_t len);

void
cons_puts(const char *s, size_t len)
{
	if (len > sizeof(logbuf) - 1 - loglen)
		len = sizeof(logbuf) - 1 - loglen;
	memcpy(logbuf + loglen, s, len);
	loglen += len;
	logbuf[loglen] = '\0';
}

static void
log_reset(void)
{
	loglen = 0;
	logbuf[0] = '\0';
}

static bool
logged(const char *s)
{
	return strstr(logbuf, s) != NULL;
}

/* ------------------------------------------------------------------ */
/* Block writer                                                        */

static uint8_t blk[1 << 16]; /* the block being built */
static size_t blen;          /* bytes written */
static size_t tag_at;        /* offset of the open tag */

static void
put(const void *p, size_t n)
{
	if (blen + n > sizeof(blk)) {
		fprintf(stderr, "test bug: block too big\n");
		abort();
	}
	memcpy(blk + blen, p, n);
	blen += n;
}

/* n bytes of filler (n <= 64). */
static void
put_filler(size_t n)
{
	static const uint8_t filler[64] = {0x5a, 0xa5, 0x01, 0xff};

	put(filler, n);
}

static void
put32(uint32_t v)
{
	put(&v, 4);
}

static void
put64(uint64_t v)
{
	put(&v, 8);
}

static void
set32(size_t off, uint32_t v)
{
	memcpy(blk + off, &v, 4);
}

static void
pad8(void)
{
	static const uint8_t zero[8];

	put(zero, (8 - blen % 8) % 8);
}

static void
blk_begin(void)
{
	memset(blk, 0, sizeof(blk));
	blen = 0;
	put32(0); /* total_size, filled in by blk_finish */
	put32(0); /* reserved */
}

/* Open a tag; tag_end() fills in its size from what was written. */
static void
tag_begin(uint32_t type)
{
	pad8();
	tag_at = blen;
	put32(type);
	put32(0);
}

static void
tag_end(void)
{
	set32(tag_at + 4, (uint32_t)(blen - tag_at));
}

static void
tag_string(uint32_t type, const char *s)
{
	tag_begin(type);
	put(s, strlen(s) + 1);
	tag_end();
}

static void
tag_module(uint32_t start, uint32_t end, const char *name)
{
	tag_begin(T_MODULE);
	put32(start);
	put32(end);
	put(name, strlen(name) + 1);
	tag_end();
}

struct ent {
	uint64_t base, len;
	uint32_t type;
};

/* A memory map tag with entries of esize bytes (24 is the standard). */
static void
tag_mmap(uint32_t esize, const struct ent *e, int n)
{
	static const uint8_t zero[64];
	int i;

	tag_begin(T_MMAP);
	put32(esize);
	put32(0); /* entry_version */
	for (i = 0; i < n; i++) {
		put64(e[i].base);
		put64(e[i].len);
		put32(e[i].type);
		put(zero, esize - 20);
	}
	tag_end();
}

static void
tag_acpi(uint32_t type, uint8_t fill, size_t len)
{
	uint8_t rsdp[64];

	memset(rsdp, fill, sizeof(rsdp));
	memcpy(rsdp, "RSD PTR ", 8);
	tag_begin(type);
	put(rsdp, len);
	tag_end();
}

/* End tag, total_size; returns the block size. */
static size_t
blk_finish(void)
{
	tag_begin(T_END);
	tag_end();
	set32(0, (uint32_t)blen);
	return blen;
}

/*
 * Parse the first len bytes of blk from an exact-size, misaligned heap
 * copy, with avail readable bytes (avail <= len).
 */
static int
parse_n(size_t len, size_t avail)
{
	uint8_t *raw = malloc(len + 1);
	int r;

	memcpy(raw + 1, blk, len);
	log_reset();
	r = mb2_parse(raw + 1, MBI_PA, avail, &bi);
	free(raw);
	return r;
}

static int
parse(size_t len)
{
	return parse_n(len, len);
}

/* ------------------------------------------------------------------ */
/* Well-formed blocks                                                  */

static const struct ent qemu_map[] = {
    {0x0, 0x9fc00, 1},
    {0x9fc00, 0x400, 2},
    {0xf0000, 0x10000, 2},
    {0x100000, 0x1fedf000, 1},
    {0xfd00000000ull, 0x300000000ull, 2},
};

static void
test_well_formed(void)
{
	size_t len;
	int i;

	blk_begin();
	tag_string(T_CMDLINE, "test=all test.seed=7");
	tag_string(T_LOADER, "GRUB 2.06");
	tag_module(0x400000, 0x401234, "initrd");
	tag_module(0x402000, 0x403000, "");
	tag_mmap(24, qemu_map, (int)nitems(qemu_map));
	tag_acpi(T_ACPI_OLD, 0x11, 20);
	tag_acpi(T_ACPI_NEW, 0x22, 36);
	len = blk_finish();

	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_warnings, 0);
	HT_CHECK_EQ(loglen, 0);
	HT_CHECK(strcmp(bi.bi_cmdline, "test=all test.seed=7") == 0);
	HT_CHECK(!bi.bi_cmdline_truncated);
	HT_CHECK(strcmp(bi.bi_loader, "GRUB 2.06") == 0);
	HT_CHECK_EQ(bi.bi_nmods, 2);
	HT_CHECK_EQ(bi.bi_mods[0].mod_start, 0x400000);
	HT_CHECK_EQ(bi.bi_mods[0].mod_end, 0x401234);
	HT_CHECK_EQ(bi.bi_mods[1].mod_start, 0x402000);
	HT_CHECK_EQ(bi.bi_mods[1].mod_end, 0x403000);
	HT_CHECK_EQ(bi.bi_nmmap, (int)nitems(qemu_map));
	for (i = 0; i < (int)nitems(qemu_map) && i < bi.bi_nmmap; i++) {
		HT_CHECK_EQ(bi.bi_mmap[i].mr_base, qemu_map[i].base);
		HT_CHECK_EQ(bi.bi_mmap[i].mr_len, qemu_map[i].len);
		HT_CHECK_EQ(bi.bi_mmap[i].mr_type, qemu_map[i].type);
	}
	HT_CHECK_EQ(bi.bi_mmap_dropped, 0);
	/* Both ACPI tags: the new (v2, 36-byte) RSDP wins. */
	HT_CHECK_EQ(bi.bi_rsdp_tag, T_ACPI_NEW);
	HT_CHECK_EQ(bi.bi_rsdp_len, 36);
	HT_CHECK(memcmp(bi.bi_rsdp, "RSD PTR ", 8) == 0);
	HT_CHECK_EQ(bi.bi_rsdp[35], 0x22);
	HT_CHECK_EQ(bi.bi_mbi_pa, MBI_PA);
	HT_CHECK_EQ(bi.bi_mbi_len, len);
}

static void
test_acpi_tags(void)
{
	size_t len;

	/* New before old: the old one must not replace it. */
	blk_begin();
	tag_acpi(T_ACPI_NEW, 0x22, 36);
	tag_acpi(T_ACPI_OLD, 0x11, 20);
	len = blk_finish();
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_rsdp_tag, T_ACPI_NEW);
	HT_CHECK_EQ(bi.bi_rsdp_len, 36);
	HT_CHECK_EQ(bi.bi_rsdp[20], 0x22);

	/* Only the old one: 20 bytes. */
	blk_begin();
	tag_acpi(T_ACPI_OLD, 0x11, 20);
	len = blk_finish();
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_rsdp_tag, T_ACPI_OLD);
	HT_CHECK_EQ(bi.bi_rsdp_len, 20);
	HT_CHECK_EQ(bi.bi_rsdp[19], 0x11);
	HT_CHECK_EQ(bi.bi_rsdp[20], 0);

	/* A longer tag is cut to the 36 bytes kept. */
	blk_begin();
	tag_acpi(T_ACPI_NEW, 0x33, 60);
	len = blk_finish();
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_rsdp_len, 36);
	HT_CHECK_EQ(bi.bi_rsdp[35], 0x33);

	/* No ACPI tag at all. */
	blk_begin();
	tag_string(T_CMDLINE, "");
	len = blk_finish();
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_rsdp_tag, 0);
	HT_CHECK_EQ(bi.bi_rsdp_len, 0);
	HT_CHECK_EQ(bi.bi_cmdline[0], '\0');
}

static void
test_padding_and_unknown_tags(void)
{
	size_t len;

	blk_begin();
	tag_string(T_CMDLINE, "abcde"); /* size 14: next tag at 8 + 16 */
	tag_begin(21);                  /* load base address: ignored */
	put32(0x200000);
	tag_end();
	tag_begin(8); /* framebuffer: ignored */
	put64(0xfd000000);
	put32(4096);
	tag_end();
	tag_string(T_LOADER, "x");
	len = blk_finish();
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK(strcmp(bi.bi_cmdline, "abcde") == 0);
	HT_CHECK(strcmp(bi.bi_loader, "x") == 0);
	HT_CHECK_EQ(bi.bi_warnings, 0);

	/* Only the end tag: valid and empty. */
	blk_begin();
	len = blk_finish();
	HT_CHECK_EQ(len, 16);
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_nmmap, 0);
	HT_CHECK_EQ(bi.bi_warnings, 0);

	/* No end tag: the walk stops at total_size. */
	blk_begin();
	tag_string(T_CMDLINE, "noend");
	pad8();
	set32(0, (uint32_t)blen);
	len = blen;
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK(strcmp(bi.bi_cmdline, "noend") == 0);

	/* Tags after the end tag are not parsed. */
	blk_begin();
	tag_begin(T_END);
	tag_end();
	tag_string(T_CMDLINE, "after end");
	set32(0, (uint32_t)blen);
	HT_CHECK_EQ(parse(blen), 0);
	HT_CHECK_EQ(bi.bi_cmdline[0], '\0');
}

/* A larger entry_size than 24 is allowed (the format may grow). */
static void
test_mmap_large_entries(void)
{
	size_t len;

	blk_begin();
	tag_mmap(40, qemu_map, 3);
	len = blk_finish();
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_nmmap, 3);
	HT_CHECK_EQ(bi.bi_mmap[2].mr_base, qemu_map[2].base);
	HT_CHECK_EQ(bi.bi_mmap[2].mr_len, qemu_map[2].len);
	HT_CHECK_EQ(bi.bi_mmap[2].mr_type, qemu_map[2].type);
	HT_CHECK_EQ(bi.bi_warnings, 0);

	/* A trailing partial entry is ignored. */
	blk_begin();
	tag_mmap(24, qemu_map, 2);
	put_filler(10); /* 10 stray bytes inside the tag */
	tag_end();
	len = blk_finish();
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_nmmap, 2);

	/* Two memory map tags: entries accumulate. */
	blk_begin();
	tag_mmap(24, qemu_map, 2);
	tag_mmap(24, qemu_map + 2, 3);
	len = blk_finish();
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_nmmap, 5);
	HT_CHECK_EQ(bi.bi_mmap[4].mr_base, qemu_map[4].base);
}

/* ------------------------------------------------------------------ */
/* Malformed blocks                                                    */

static void
test_total_size(void)
{
	size_t len;

	blk_begin();
	tag_string(T_CMDLINE, "hello");
	len = blk_finish();

	/* Bigger than what may be read. */
	set32(0, (uint32_t)len + 8);
	HT_CHECK_EQ(parse(len), -1);
	HT_CHECK(logged("boot information size"));
	set32(0, 0xffffffffu);
	HT_CHECK_EQ(parse(len), -1);
	set32(0, (uint32_t)len);
	HT_CHECK_EQ(parse_n(len, len - 1), -1);

	/* Smaller than header + end tag. */
	set32(0, 15);
	HT_CHECK_EQ(parse(len), -1);
	set32(0, 8);
	HT_CHECK_EQ(parse(len), -1);
	set32(0, 0);
	HT_CHECK_EQ(parse(len), -1);
	HT_CHECK_EQ(bi.bi_mbi_len, 0);
	HT_CHECK_EQ(bi.bi_cmdline[0], '\0');

	/* Less than 8 readable bytes: the header itself is unreadable. */
	HT_CHECK_EQ(parse_n(4, 4), -1);
	HT_CHECK(logged("unreadable"));
	HT_CHECK_EQ(parse_n(0, 0), -1);

	/* Smaller than the buffer: only total_size bytes are used. */
	set32(0, 16); /* header + the cmdline tag header */
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_mbi_len, 16);
	HT_CHECK_EQ(bi.bi_cmdline[0], '\0'); /* the tag does not fit */
	HT_CHECK_EQ(bi.bi_warnings, 1);
}

static void
test_tag_size_too_small(void)
{
	static const uint32_t sizes[] = {0, 1, 7};
	unsigned i;
	size_t bad_at;

	for (i = 0; i < nitems(sizes); i++) {
		blk_begin();
		tag_string(T_LOADER, "before");
		tag_begin(T_CMDLINE);
		bad_at = tag_at;
		put("zzzzzzzz", 8);
		tag_end();
		tag_string(T_CMDLINE, "after");
		blk_finish();
		set32(bad_at + 4, sizes[i]);
		HT_CHECK_EQ(parse(blen), 0);
		HT_CHECK(strcmp(bi.bi_loader, "before") == 0);
		HT_CHECK_EQ(bi.bi_cmdline[0], '\0'); /* walk stopped */
		HT_CHECK_EQ(bi.bi_warnings, 1);
		HT_CHECK(logged("bad size"));
	}
}

static void
test_tag_past_end(void)
{
	size_t len, at;

	blk_begin();
	tag_string(T_LOADER, "ok");
	tag_string(T_CMDLINE, "the command line");
	at = tag_at;
	len = blk_finish();
	/* The cmdline tag claims to run 1 byte, then far, past the end. */
	set32(at + 4, (uint32_t)(len - at + 1));
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK(strcmp(bi.bi_loader, "ok") == 0);
	HT_CHECK_EQ(bi.bi_cmdline[0], '\0');
	HT_CHECK_EQ(bi.bi_warnings, 1);
	set32(at + 4, 0xfffffff0u);
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_cmdline[0], '\0');
	HT_CHECK_EQ(bi.bi_warnings, 1);
	/* Ending exactly at total_size is fine (there is no end tag). */
	set32(at + 4, (uint32_t)(len - at));
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK(strcmp(bi.bi_cmdline, "the command line") == 0);
	HT_CHECK_EQ(bi.bi_warnings, 0);
	/* A tag header that itself crosses the end is not read. */
	blk_begin();
	tag_string(T_LOADER, "ok");
	pad8();
	put32(T_CMDLINE); /* only half a header */
	set32(0, (uint32_t)blen);
	HT_CHECK_EQ(parse(blen), 0);
	HT_CHECK(strcmp(bi.bi_loader, "ok") == 0);
	HT_CHECK_EQ(bi.bi_warnings, 0);
}

static void
test_mmap_bad_entry_size(void)
{
	static const uint32_t bad[] = {0, 1, 16, 20, 23};
	size_t len, at;
	unsigned i;

	for (i = 0; i < nitems(bad); i++) {
		blk_begin();
		tag_mmap(24, qemu_map, 3);
		at = tag_at;
		tag_string(T_CMDLINE, "still parsed");
		len = blk_finish();
		set32(at + 8, bad[i]);
		HT_CHECK_EQ(parse(len), 0);
		HT_CHECK_EQ(bi.bi_nmmap, 0);
		HT_CHECK_EQ(bi.bi_warnings, 1);
		HT_CHECK(logged("entry size"));
		/* A bad map is skipped by its (valid) tag size. */
		HT_CHECK(strcmp(bi.bi_cmdline, "still parsed") == 0);
	}

	/* entry_size larger than the tag. */
	blk_begin();
	tag_mmap(24, qemu_map, 1);
	at = tag_at;
	len = blk_finish();
	set32(at + 8, 48);
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_nmmap, 0);
	HT_CHECK_EQ(bi.bi_warnings, 1);

	/* A memory map tag too short for its own header. */
	blk_begin();
	tag_begin(T_MMAP);
	put32(24);
	tag_end();
	len = blk_finish();
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_nmmap, 0);
	HT_CHECK_EQ(bi.bi_warnings, 1);
	HT_CHECK(logged("too short"));
}

static void
test_mmap_too_many_entries(void)
{
	struct ent e[BI_MMAP_MAX + 72];
	size_t len;
	int i;

	for (i = 0; i < (int)nitems(e); i++) {
		e[i].base = (uint64_t)i << 20;
		e[i].len = 1 << 20;
		e[i].type = 1 + i % 5;
	}
	blk_begin();
	tag_mmap(24, e, (int)nitems(e));
	len = blk_finish();
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_nmmap, BI_MMAP_MAX);
	HT_CHECK_EQ(bi.bi_mmap_dropped, 72);
	HT_CHECK_EQ(bi.bi_mmap[BI_MMAP_MAX - 1].mr_base,
	            (uint64_t)(BI_MMAP_MAX - 1) << 20);
	HT_CHECK_EQ(bi.bi_warnings, 1);
	HT_CHECK(logged("72 memory map entries"));

	/* Exactly BI_MMAP_MAX: no warning. */
	blk_begin();
	tag_mmap(24, e, BI_MMAP_MAX);
	len = blk_finish();
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_nmmap, BI_MMAP_MAX);
	HT_CHECK_EQ(bi.bi_mmap_dropped, 0);
	HT_CHECK_EQ(bi.bi_warnings, 0);
}

static void
test_modules(void)
{
	size_t len;
	int i;

	blk_begin();
	for (i = 0; i < BI_MODS_MAX + 3; i++)
		tag_module(0x1000000 + i * 0x1000, 0x1000800 + i * 0x1000, "m");
	len = blk_finish();
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_nmods, BI_MODS_MAX);
	HT_CHECK_EQ(bi.bi_mods[BI_MODS_MAX - 1].mod_start,
	            0x1000000 + (BI_MODS_MAX - 1) * 0x1000);
	HT_CHECK_EQ(bi.bi_warnings, 3);

	/* A module tag too short for its addresses. */
	blk_begin();
	tag_begin(T_MODULE);
	put32(0x400000);
	tag_end();
	tag_module(0x500000, 0x501000, "good");
	len = blk_finish();
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(bi.bi_nmods, 1);
	HT_CHECK_EQ(bi.bi_mods[0].mod_start, 0x500000);
	HT_CHECK_EQ(bi.bi_warnings, 1);
}

static void
test_cmdline_length(void)
{
	static char s[3000];
	static const size_t lens[] = {BI_CMDLINE_MAX - 1, BI_CMDLINE_MAX,
	                              BI_CMDLINE_MAX + 1, 2999};
	size_t len;
	unsigned i;

	for (i = 0; i < nitems(lens); i++) {
		size_t n = lens[i], j;

		for (j = 0; j < n; j++)
			s[j] = (char)('a' + j % 26);
		s[n] = '\0';
		blk_begin();
		tag_string(T_CMDLINE, s);
		tag_string(T_LOADER, "next");
		len = blk_finish();
		HT_CHECK_EQ(parse(len), 0);
		HT_CHECK_EQ(bi.bi_cmdline_truncated, n >= BI_CMDLINE_MAX);
		HT_CHECK_EQ(strlen(bi.bi_cmdline), MIN(n, BI_CMDLINE_MAX - 1));
		HT_CHECK(strncmp(bi.bi_cmdline, s, BI_CMDLINE_MAX - 1) == 0);
		HT_CHECK(strcmp(bi.bi_loader, "next") == 0);
	}

	/* An overlong loader name is cut silently. */
	memset(s, 'L', 200);
	s[200] = '\0';
	blk_begin();
	tag_string(T_LOADER, s);
	len = blk_finish();
	HT_CHECK_EQ(parse(len), 0);
	HT_CHECK_EQ(strlen(bi.bi_loader), sizeof(bi.bi_loader) - 1);
}

/* Strings without their NUL, at the very end of the readable block. */
static void
test_missing_nul(void)
{
	blk_begin();
	tag_string(T_LOADER, "GRUB");
	tag_begin(T_CMDLINE);
	put("abc", 3);
	tag_end();
	set32(0, (uint32_t)blen); /* the block ends right after "abc" */
	HT_CHECK_EQ(parse(blen), 0);
	HT_CHECK(strcmp(bi.bi_cmdline, "abc") == 0);
	HT_CHECK(!bi.bi_cmdline_truncated);
	HT_CHECK(strcmp(bi.bi_loader, "GRUB") == 0);

	blk_begin();
	tag_begin(T_LOADER);
	put("GRUBGRUB", 8);
	tag_end();
	set32(0, (uint32_t)blen);
	HT_CHECK_EQ(parse(blen), 0);
	HT_CHECK(strcmp(bi.bi_loader, "GRUBGRUB") == 0);

	/* An empty string tag (size 8): empty result. */
	blk_begin();
	tag_begin(T_CMDLINE);
	tag_end();
	set32(0, (uint32_t)blen);
	HT_CHECK_EQ(parse(blen), 0);
	HT_CHECK_EQ(bi.bi_cmdline[0], '\0');
}

/* ------------------------------------------------------------------ */
/* Fuzz                                                                */

static uint64_t rng = 0x853c49e6748fea9bull; /* xorshift64 state */

static uint64_t
rnd(void)
{
	return ht_xorshift64(&rng);
}

/* What must hold after any successful parse of len readable bytes. */
static bool
result_sane(size_t avail)
{
	return bi.bi_nmmap >= 0 && bi.bi_nmmap <= BI_MMAP_MAX &&
	       bi.bi_mmap_dropped >= 0 && bi.bi_nmods >= 0 &&
	       bi.bi_nmods <= BI_MODS_MAX &&
	       memchr(bi.bi_cmdline, '\0', sizeof(bi.bi_cmdline)) != NULL &&
	       memchr(bi.bi_loader, '\0', sizeof(bi.bi_loader)) != NULL &&
	       bi.bi_rsdp_len <= sizeof(bi.bi_rsdp) &&
	       (bi.bi_rsdp_tag == 0 || bi.bi_rsdp_tag == T_ACPI_OLD ||
	        bi.bi_rsdp_tag == T_ACPI_NEW) &&
	       (bi.bi_rsdp_tag != 0 || bi.bi_rsdp_len == 0) &&
	       bi.bi_mbi_pa == MBI_PA && bi.bi_mbi_len >= 16 &&
	       bi.bi_mbi_len <= avail && bi.bi_warnings >= 0;
}

static size_t
build_random_valid(void)
{
	static const char *const words[] = {"test=all", "", "console=1",
	                                    "a=b c=d e=f", "GRUB 2.06"};
	struct ent e[8];
	int i, n = 1 + (int)(rnd() % 6);

	blk_begin();
	for (i = 0; i < n; i++) {
		switch (rnd() % 6) {
		case 0:
			tag_string(T_CMDLINE, words[rnd() % nitems(words)]);
			break;
		case 1:
			tag_string(T_LOADER, words[rnd() % nitems(words)]);
			break;
		case 2:
			tag_module((uint32_t)rnd(), (uint32_t)rnd(), "mod");
			break;
		case 3: {
			int k, ne = (int)(rnd() % nitems(e));

			for (k = 0; k < ne; k++) {
				e[k].base = rnd();
				e[k].len = rnd();
				e[k].type = (uint32_t)(rnd() % 6);
			}
			tag_mmap(24 + 8 * (uint32_t)(rnd() % 3), e, ne);
			break;
		}
		case 4:
			tag_acpi(rnd() % 2 ? T_ACPI_OLD : T_ACPI_NEW,
			         (uint8_t)rnd(), rnd() % 48);
			break;
		default:
			tag_begin((uint32_t)(rnd() % 32));
			put_filler(rnd() % 40);
			tag_end();
			break;
		}
	}
	return blk_finish();
}

static void
test_fuzz(void)
{
	static const uint32_t nasty[] = {
	    0,  1,  7,  8,          9,          15,         16,
	    23, 24, 25, 0x7fffffff, 0x80000000, 0xfffffff8, 0xffffffff};
	int iter, bad = 0, ok = 0;

	for (iter = 0; iter < 100000 && bad < 5; iter++) {
		size_t len = build_random_valid(), avail;
		int k, nmut = (int)(rnd() % 4);

		for (k = 0; k < nmut; k++) {
			size_t off = rnd() % len;

			switch (rnd() % 3) {
			case 0:
				blk[off] ^= (uint8_t)(1u << (rnd() % 8));
				break;
			case 1:
				off &= ~(size_t)3;
				if (off + 4 <= len)
					set32(off,
					      nasty[rnd() % nitems(nasty)]);
				break;
			default:
				blk[off] = (uint8_t)rnd();
				break;
			}
		}
		/* Sometimes the caller can read less than total_size. */
		avail = rnd() % 4 == 0 ? rnd() % (len + 1) : len;
		if (parse_n(avail, avail) == 0) {
			ok++;
			if (!result_sane(avail)) {
				printf("    # iteration %d: insane result\n",
				       iter);
				bad++;
			}
		} else if (bi.bi_nmmap != 0 || bi.bi_cmdline[0] != '\0') {
			printf("    # iteration %d: failure left data\n", iter);
			bad++;
		}
	}
	HT_CHECK_EQ(bad, 0);
	HT_CHECK(ok > 1000); /* the fuzz reaches the tag walk */

	/* Pure noise with a plausible total_size. */
	for (iter = 0; iter < 20000 && bad < 5; iter++) {
		size_t len = 16 + rnd() % 512, k;

		for (k = 0; k < len; k++)
			blk[k] = (uint8_t)rnd();
		set32(0, (uint32_t)(rnd() % 2 ? len : rnd() % (len + 8)));
		if (parse(len) == 0 && !result_sane(len))
			bad++;
	}
	HT_CHECK_EQ(bad, 0);
}

int
main(void)
{
	ht_begin();
	ht_run("well_formed", test_well_formed);
	ht_run("acpi_tags", test_acpi_tags);
	ht_run("padding_and_unknown_tags", test_padding_and_unknown_tags);
	ht_run("mmap_large_entries", test_mmap_large_entries);
	ht_run("total_size", test_total_size);
	ht_run("tag_size_too_small", test_tag_size_too_small);
	ht_run("tag_past_end", test_tag_past_end);
	ht_run("mmap_bad_entry_size", test_mmap_bad_entry_size);
	ht_run("mmap_too_many_entries", test_mmap_too_many_entries);
	ht_run("modules", test_modules);
	ht_run("cmdline_length", test_cmdline_length);
	ht_run("missing_nul", test_missing_nul);
	ht_run("fuzz", test_fuzz);
	return ht_done();
}
