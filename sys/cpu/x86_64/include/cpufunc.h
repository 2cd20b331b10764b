/*
 * Inline wrappers for the privileged and special x86-64 instructions the
 * kernel uses.  Each one is a single instruction with the clobbers the
 * compiler must know about: anything that changes translations or orders
 * memory carries a "memory" clobber so the compiler cannot move loads and
 * stores across it.
 */
#ifndef _CPU_CPUFUNC_H_
#define _CPU_CPUFUNC_H_

#include <sys/types.h>

static inline void
outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t
inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void
outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void
outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t
inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void
cpuid_count(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
	                 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
	                 : "a"(leaf), "c"(sub));
}

static inline void
do_cpuid(uint32_t leaf, uint32_t r[4])
{
	cpuid_count(leaf, 0, r);
}

static inline uint64_t
rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void
wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
	                 :
	                 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
	                 : "memory");
}

static inline uint64_t
rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* rdtsc that does not execute before earlier instructions complete. */
static inline uint64_t
rdtsc_ordered(void)
{
	__asm__ volatile("lfence" ::: "memory");
	return rdtsc();
}

static inline uint64_t
rcr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline void
load_cr0(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline uint64_t
rcr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t
rcr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

/*
 * With options TLBSAN every CR3 load, INVLPG and CR4.PGE change below
 * also feeds the TLB sanitizer's model (sys/platform/pc64/tlbsan.c), so
 * no invalidation can bypass it; tlbsan_on is false until it starts.
 */
#ifdef TLBSAN
extern bool tlbsan_on;
void tlbsan_cr3_load(uint64_t cr3);
void tlbsan_invlpg(vm_offset_t va);
void tlbsan_flush_all(void);
/* Run a sanitizer hook if the sanitizer is on (<machine/tlbsan.h>). */
#define TLBSAN_HOOK(call)                                                      \
	do {                                                                   \
		if (__predict_false(tlbsan_on))                                \
			call;                                                  \
	} while (0)
#else
#define TLBSAN_HOOK(call) ((void)0)
#endif

/* Loading CR3 flushes every non-global TLB entry. */
static inline void
load_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
	TLBSAN_HOOK(tlbsan_cr3_load(v));
}

static inline uint64_t
rcr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/* Changing CR4.PGE flushes every TLB entry, global ones included. */
static inline void
load_cr4(uint64_t v)
{
#ifdef TLBSAN
	uint64_t old = rcr4();
#endif

	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
#ifdef TLBSAN
	if (__predict_false(tlbsan_on) && ((old ^ v) & 0x80))
		tlbsan_flush_all();
#endif
}

static inline void
invlpg(vm_offset_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	TLBSAN_HOOK(tlbsan_invlpg(va));
}

/* Flush the whole TLB, global entries included (toggle CR4.PGE). */
static inline void
invltlb_all(void)
{
	uint64_t cr4 = rcr4();

	if (cr4 & 0x80) {
		load_cr4(cr4 & ~0x80ull);
		load_cr4(cr4);
	} else {
		load_cr3(rcr3());
	}
}

static inline uint64_t
read_rflags(void)
{
	uint64_t f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static inline void
write_rflags(uint64_t f)
{
	__asm__ volatile("pushq %0; popfq" : : "r"(f) : "memory", "cc");
}

static inline void
cpu_disable_intr(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void
cpu_enable_intr(void)
{
	__asm__ volatile("sti" ::: "memory");
}

/* Save RFLAGS and disable interrupts; restore with intr_restore(). */
static inline uint64_t
intr_disable(void)
{
	uint64_t f = read_rflags();

	cpu_disable_intr();
	return f;
}

static inline void
intr_restore(uint64_t f)
{
	write_rflags(f);
}

static inline void
cpu_pause(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline void
halt(void)
{
	__asm__ volatile("hlt" ::: "memory");
}

/*
 * sti; hlt as one unit: the interrupt shadow of sti guarantees that an
 * interrupt arriving between the two instructions wakes the hlt instead of
 * being taken before it (the classic lost-wakeup race of the idle loop).
 */
static inline void
cpu_sti_hlt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

static inline void
cpu_mfence(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

static inline void
cpu_ccfence(void)
{
	__asm__ volatile("" ::: "memory");
}

static inline void
lidt(void *desc)
{
	__asm__ volatile("lidt (%0)" : : "r"(desc) : "memory");
}

static inline void
lgdt(void *desc)
{
	__asm__ volatile("lgdt (%0)" : : "r"(desc) : "memory");
}

static inline void
ltr(uint16_t sel)
{
	__asm__ volatile("ltr %0" : : "r"(sel) : "memory");
}

/* Magic breakpoint: the 16-bit xchg Bochs stops on (66 87 db). */
static inline void
bochs_magic_break(void)
{
	__asm__ volatile("xchgw %%bx, %%bx" ::: "memory");
}

#endif /* !_CPU_CPUFUNC_H_ */
