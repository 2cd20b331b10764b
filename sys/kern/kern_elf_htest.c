/*
 * Host tests for the ELF64 validator (kern_elf.c): a well-formed static
 * executable and static-PIE are accepted with the right entry, bias and
 * AT_PHDR; every kind of malformed image (truncated at every length, bad
 * header fields, PT_INTERP, bad program headers, overlapping segments,
 * segments at kernel addresses or wrapping around, huge sizes, entry
 * outside the code) is refused with a message; and a fuzzer mutates the
 * image at random: under ASan/UBSan elf_check must never read outside
 * the buffer, and whatever it accepts must satisfy what the loader
 * relies on.
 */
#include <sys/elf64.h>

#include <string.h>

#include <machine/vmparam.h>
#include <sys/errno.h>
#include <sys/mman.h>

#include "htest.h"

#define IMG_SIZE 0x3000
#define FUZZ_N   300000

static uint8_t img[IMG_SIZE];

/* Header, 3 program headers (PHDR, text R+X, data RW + bss). */
static void
build(uint16_t type, uint64_t base)
{
	struct elf64_ehdr *eh = (struct elf64_ehdr *)img;
	struct elf64_phdr *ph = (struct elf64_phdr *)(img + sizeof(*eh));

	memset(img, 0, sizeof(img));
	memcpy(eh->e_ident,
	       "\x7f"
	       "ELF",
	       4);
	eh->e_ident[4] = ELFCLASS64;
	eh->e_ident[5] = ELFDATA2LSB;
	eh->e_ident[6] = EV_CURRENT;
	eh->e_type = type;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = base + 0x1010;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 3;
	ph[0] = (struct elf64_phdr){.p_type = PT_PHDR,
	                            .p_flags = PF_R,
	                            .p_offset = sizeof(*eh),
	                            .p_vaddr = base + sizeof(*eh),
	                            .p_filesz = 3 * sizeof(*ph),
	                            .p_memsz = 3 * sizeof(*ph),
	                            .p_align = 8};
	ph[1] = (struct elf64_phdr){.p_type = PT_LOAD,
	                            .p_flags = PF_R | PF_X,
	                            .p_offset = 0,
	                            .p_vaddr = base,
	                            .p_filesz = 0x1800,
	                            .p_memsz = 0x1800,
	                            .p_align = 0x1000};
	ph[2] = (struct elf64_phdr){.p_type = PT_LOAD,
	                            .p_flags = PF_R | PF_W,
	                            .p_offset = 0x2000,
	                            .p_vaddr = base + 0x2000,
	                            .p_filesz = 0x800,
	                            .p_memsz = 0x5000,
	                            .p_align = 0x1000};
}

static struct elf64_ehdr *
eh(void)
{
	return (struct elf64_ehdr *)img;
}

static struct elf64_phdr *
ph(int i)
{
	return (struct elf64_phdr *)(img + sizeof(struct elf64_ehdr)) + i;
}

static int
check(size_t len, struct elf_image *ei, char *err)
{
	err[0] = '\0';
	return elf_check(img, len, ei, err, 96);
}

static void
t_accept_exec(void)
{
	struct elf_image ei;
	char err[96];

	build(ET_EXEC, 0x400000);
	HT_CHECK_EQ(check(sizeof(img), &ei, err), 0);
	HT_CHECK_EQ(ei.ei_base, 0);
	HT_CHECK_EQ(ei.ei_entry, 0x401010);
	HT_CHECK_EQ(ei.ei_phdr_addr, 0x400040);
	HT_CHECK_EQ(ei.ei_lo, 0x400000);
	HT_CHECK_EQ(ei.ei_hi, 0x407000);
	/* Without PT_PHDR, AT_PHDR comes from the segment holding it. */
	ph(0)->p_type = 0x6474e551; /* PT_GNU_STACK */
	HT_CHECK_EQ(check(sizeof(img), &ei, err), 0);
	HT_CHECK_EQ(ei.ei_phdr_addr, 0x400040);
}

static void
t_accept_pie(void)
{
	struct elf_image ei;
	char err[96];

	build(ET_DYN, 0);
	HT_CHECK_EQ(check(sizeof(img), &ei, err), 0);
	HT_CHECK_EQ(ei.ei_base, ELF_DYN_BASE);
	HT_CHECK_EQ(ei.ei_entry, ELF_DYN_BASE + 0x1010);
	HT_CHECK_EQ(ei.ei_phdr_addr, ELF_DYN_BASE + 0x40);
}

static void
t_truncated(void)
{
	struct elf_image ei;
	char err[96];
	size_t len;
	int refused = 0;

	build(ET_EXEC, 0x400000);
	/* Every length short of the data segment's file end is refused. */
	for (len = 0; len < 0x2800; len++) {
		if (check(len, &ei, err) == ENOEXEC && err[0] != '\0')
			refused++;
	}
	HT_CHECK_EQ(refused, 0x2800);
	HT_CHECK_EQ(check(0x2800, &ei, err), 0);
	HT_CHECK(strstr((check(10, &ei, err), err), "truncated") != NULL);
}

struct bad {
	const char *what;   /* the mutation */
	const char *expect; /* a word of the message */
};

static void
mutate(int k)
{
	build(ET_EXEC, 0x400000);
	switch (k) {
	case 0:
		img[1] = 'X';
		break;
	case 1:
		eh()->e_ident[4] = 1;
		break;
	case 2:
		eh()->e_ident[5] = 2;
		break;
	case 3:
		eh()->e_machine = 3;
		break;
	case 4:
		eh()->e_type = 1;
		break;
	case 5:
		eh()->e_phentsize = 32;
		break;
	case 6:
		eh()->e_phnum = 0;
		break;
	case 7:
		eh()->e_phnum = 65;
		break;
	case 8:
		eh()->e_phoff = IMG_SIZE - 8;
		break;
	case 9:
		ph(0)->p_type = PT_INTERP;
		break;
	case 10:
		ph(2)->p_filesz = 0x6000;
		break;
	case 11:
		ph(2)->p_offset = IMG_SIZE;
		break;
	case 12:
		ph(2)->p_vaddr = 0x402100;
		break;
	case 13:
		ph(2)->p_vaddr = 0x401000;
		ph(2)->p_offset = 0x1000;
		break;
	case 14:
		ph(2)->p_vaddr = 0xffffffff80200000ul;
		ph(2)->p_offset = 0;
		break;
	case 15:
		ph(2)->p_memsz = 1ul << 40;
		break;
	case 16:
		ph(2)->p_vaddr = 0xfffffffffffff000ul;
		ph(2)->p_offset = 0;
		break;
	case 17:
		eh()->e_entry = 0x402010;
		break;
	case 18:
		ph(1)->p_vaddr = 0x1000;
		eh()->e_entry = 0x1010;
		break;
	case 19:
		ph(1)->p_type = 0;
		ph(2)->p_type = 0;
		break;
	case 20:
		eh()->e_phoff = 3;
		break;
	case 21:
		eh()->e_version = 2;
		break;
	}
}

static void
t_malformed(void)
{
	static const char *const words[] = {
	    "magic",       "ELF64",     "ELF64",     "x86-64",  "type",
	    "header size", "count",     "count",     "table",   "PT_INTERP",
	    "filesz",      "truncated", "congruent", "overlap", "beyond",
	    "too large",   "beyond",    "entry",     "lowest",  "no loadable",
	    "table",       "ELF64"};
	struct elf_image ei;
	char err[96];
	int k;

	for (k = 0; k < (int)(sizeof(words) / sizeof(words[0])); k++) {
		mutate(k);
		HT_CHECK_EQ(check(sizeof(img), &ei, err), ENOEXEC);
		if (strstr(err, words[k]) == NULL)
			printf("    # case %d: message \"%s\" lacks \"%s\"\n",
			       k, err, words[k]);
		HT_CHECK(strstr(err, words[k]) != NULL);
	}
}

/* What the loader relies on, for any image elf_check accepted. */
static bool
sound(size_t len, const struct elf_image *ei)
{
	int i;

	if (ei->ei_lo < MMAP_MIN_ADDR || ei->ei_hi > ELF_MAX_ADDR ||
	    ei->ei_lo >= ei->ei_hi || ei->ei_entry < ei->ei_lo ||
	    ei->ei_entry >= ei->ei_hi)
		return false;
	for (i = 0; i < ei->ei_phnum; i++) {
		const struct elf64_phdr *p = &ei->ei_phdr[i];

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if (p->p_offset > len || p->p_filesz > len - p->p_offset ||
		    p->p_filesz > p->p_memsz)
			return false;
		if (p->p_vaddr + ei->ei_base < ei->ei_lo ||
		    p->p_vaddr + ei->ei_base + p->p_memsz > ei->ei_hi)
			return false;
	}
	return true;
}

static void
t_fuzz(void)
{
	uint64_t s = 0x2545f4914f6cdd1dull;
	struct elf_image ei;
	char err[96];
	int n, accepted = 0, unsound = 0;

	for (n = 0; n < FUZZ_N; n++) {
		size_t len = sizeof(img);
		int flips = 1 + (int)(ht_xorshift64(&s) % 4), f;

		build(ht_xorshift64(&s) & 1 ? ET_EXEC : ET_DYN,
		      ht_xorshift64(&s) & 1 ? 0x400000 : 0);
		for (f = 0; f < flips; f++) {
			uint64_t r = ht_xorshift64(&s);
			/* Mostly the headers, where the interesting bytes are. */
			size_t at = r & 0x100 ? (r >> 16) % 0x100
			                      : (r >> 16) % sizeof(img);

			if (r & 0x200)
				img[at] = (uint8_t)(r >> 40);
			else
				img[at] ^= (uint8_t)(1u << ((r >> 40) % 8));
		}
		if (ht_xorshift64(&s) % 8 == 0)
			len = ht_xorshift64(&s) % sizeof(img);
		/* A private copy of the right length: ASan sees over-reads. */
		{
			uint8_t *copy = malloc(len ? len : 1);

			memcpy(copy, img, len);
			if (elf_check(copy, len, &ei, err, sizeof(err)) == 0) {
				accepted++;
				if (!sound(len, &ei))
					unsound++;
			} else if (err[0] == '\0') {
				unsound++; /* refused without a reason */
			}
			free(copy);
		}
	}
	printf("    # %d mutated images, %d accepted\n", FUZZ_N, accepted);
	HT_CHECK_EQ(unsound, 0);
	HT_CHECK(accepted > 0);
}

int
main(void)
{
	ht_begin();
	ht_run("accept_exec", t_accept_exec);
	ht_run("accept_pie", t_accept_pie);
	ht_run("truncated", t_truncated);
	ht_run("malformed", t_malformed);
	ht_run("fuzz", t_fuzz);
	return ht_done();
}
