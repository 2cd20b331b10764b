/*
 * multiboot.c - copy what the kernel needs out of the multiboot2
 * information block.
 *
 * The block is a list of 8-byte-aligned tags after an 8-byte header
 * (total_size, reserved).  We trust nothing in it: total_size is clamped
 * to what the caller can read, each tag must be at least 8 bytes and end
 * inside the block, and every copy is bounded by the destination.  A bad
 * tag stops the walk (its size cannot be trusted to find the next one),
 * and what was parsed so far is kept.  The function is pure, so the host
 * test feeds it broken blocks.
 */
#include <machine/bootinfo.h>

#include <sys/systm.h>

struct bootinfo bootinfo;

#define MB2_TAG_END      0
#define MB2_TAG_CMDLINE  1
#define MB2_TAG_LOADER   2
#define MB2_TAG_MODULE   3
#define MB2_TAG_MMAP     6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t
rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Copy a NUL-terminated string of at most len bytes from a tag. */
static bool
copy_string(char *dst, size_t dstsz, const uint8_t *src, size_t len)
{
	size_t n = strnlen((const char *)src, len);

	if (n >= dstsz) {
		memcpy(dst, src, dstsz - 1);
		dst[dstsz - 1] = '\0';
		return false;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}

static void
parse_mmap(const uint8_t *tag, uint32_t size, struct bootinfo *bi)
{
	uint32_t esize, off;

	if (size < 16) {
		kprintf("multiboot: warning: memory map tag too short (%u)\n",
		        size);
		bi->bi_warnings++;
		return;
	}
	esize = rd32(tag + 8);
	if (esize < 24 || esize > size) {
		kprintf("multiboot: warning: memory map entry size %u is "
		        "invalid; ignoring the map\n",
		        esize);
		bi->bi_warnings++;
		return;
	}
	for (off = 16; off + esize <= size; off += esize) {
		struct bi_mem_range *mr;

		if (bi->bi_nmmap == BI_MMAP_MAX) {
			bi->bi_mmap_dropped++;
			continue;
		}
		mr = &bi->bi_mmap[bi->bi_nmmap++];
		mr->mr_base = rd64(tag + off);
		mr->mr_len = rd64(tag + off + 8);
		mr->mr_type = rd32(tag + off + 16);
	}
	if (bi->bi_mmap_dropped != 0) {
		kprintf("multiboot: warning: %d memory map entries beyond %d "
		        "ignored\n",
		        bi->bi_mmap_dropped, BI_MMAP_MAX);
		bi->bi_warnings++;
	}
}

int
mb2_parse(const void *mbi, uint64_t mbi_pa, size_t avail, struct bootinfo *bi)
{
	const uint8_t *base = mbi;
	uint64_t total, off;

	memset(bi, 0, sizeof(*bi));
	if (avail < 8) {
		kprintf("multiboot: error: boot information unreadable\n");
		return -1;
	}
	total = rd32(base);
	if (total < 16 || total > avail) {
		kprintf("multiboot: error: boot information size %lu is "
		        "invalid (readable: %zu)\n",
		        (unsigned long)total, avail);
		return -1;
	}
	bi->bi_mbi_pa = mbi_pa;
	bi->bi_mbi_len = total;

	for (off = 8; off + 8 <= total;) {
		const uint8_t *tag = base + off;
		uint32_t type = rd32(tag), size = rd32(tag + 4);

		if (type == MB2_TAG_END)
			break;
		if (size < 8 || size > total - off) {
			kprintf("multiboot: warning: tag %u at offset %lu has "
			        "bad size %u; stopping\n",
			        type, (unsigned long)off, size);
			bi->bi_warnings++;
			break;
		}
		switch (type) {
		case MB2_TAG_CMDLINE:
			if (!copy_string(bi->bi_cmdline, sizeof(bi->bi_cmdline),
			                 tag + 8, size - 8))
				bi->bi_cmdline_truncated = true;
			break;
		case MB2_TAG_LOADER:
			copy_string(bi->bi_loader, sizeof(bi->bi_loader),
			            tag + 8, size - 8);
			break;
		case MB2_TAG_MODULE:
			if (size < 16) {
				bi->bi_warnings++;
				break;
			}
			if (bi->bi_nmods < BI_MODS_MAX) {
				struct bi_module *m =
				    &bi->bi_mods[bi->bi_nmods++];
				m->mod_start = rd32(tag + 8);
				m->mod_end = rd32(tag + 12);
				copy_string(m->mod_name, sizeof(m->mod_name),
				            tag + 16, size - 16);
			} else {
				kprintf("multiboot: warning: module beyond %d "
				        "ignored\n",
				        BI_MODS_MAX);
				bi->bi_warnings++;
			}
			break;
		case MB2_TAG_MMAP:
			parse_mmap(tag, size, bi);
			break;
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			/* Prefer the newer RSDP when both are present. */
			if (bi->bi_rsdp_tag == MB2_TAG_ACPI_NEW)
				break;
			bi->bi_rsdp_len =
			    MIN((size_t)(size - 8), sizeof(bi->bi_rsdp));
			memcpy(bi->bi_rsdp, tag + 8, bi->bi_rsdp_len);
			bi->bi_rsdp_tag = (int)type;
			break;
		default:
			break;
		}
		off += roundup2(size, 8u);
	}
	return 0;
}
