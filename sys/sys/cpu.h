/*
 * The machine-dependent services machine-independent code may call.
 * Everything here is implemented under sys/platform/pc64.
 */
#ifndef _SYS_CPU_H_
#define _SYS_CPU_H_

#include <sys/types.h>

/* How the kernel ends a run (and tells the test harness the result). */
#define EXIT_PASS 0 /* QEMU exit status 33 */
#define EXIT_FAIL 1 /* QEMU exit status 35 */

void cpu_poweroff(int how) __noreturn;  /* drain console, power off */
void cpu_backtrace(void);               /* print the caller's backtrace */
void cpu_panic_stop_others(void);       /* panic: halt the other CPUs */
void cpu_magic_break(const char *site); /* Bochs breakpoint, if enabled */
uint64_t cpu_read_cr3(void);            /* for tests and diagnostics */
void cpu_send_ipiq(int cpuid);          /* hardware IPI: drain your queues */
uint64_t cpu_intr_disable(void);        /* returns the previous state */
void cpu_intr_restore(uint64_t state);
void cpu_pause_hint(void);              /* spin-wait hint */
void cpu_mp_start(void);                /* find and start the other CPUs */
void cpu_idle_halt(void);               /* sleep until the next interrupt */
void cpu_halt_forever(void) __noreturn; /* interrupts off, halt for good */
uint32_t cpu_hwid(int cpuid); /* hardware CPU id (x86: local APIC ID) */
/* Compiler-only barrier: no memory access moves across it. */
#define cpu_ccfence() __atomic_signal_fence(__ATOMIC_SEQ_CST)
/* Hardware IPI to every CPU in mask (not self), fewest APIC writes. */
struct cpumask;
void cpu_send_ipiq_mask(const struct cpumask *mask);
void cpu_set_tick_hook(void (*fn)(void)); /* per-CPU periodic tick */
uint32_t cpu_tick_hz(void);               /* its rate */
/* Touch one word (write: read and write it back): 0, or -1 if it faulted. */
int cpu_probe(const volatile void *va, int write);
/* Read one word into *valp: 0, or -1 (nothing stored) if it faulted. */
int cpu_fetch(const volatile void *va, uint64_t *valp);
/* Write access that keeps the word (one locked RMW): 0, or -1 on fault. */
int cpu_touch(const volatile void *va);
/*
 * Open/close supervisor access to user pages (SMAP: STAC/CLAC; no-ops
 * without SMAP).  Only the pmap tests and benchmarks, which read user
 * mappings of a test pmap from ring 0 on purpose, use these; everything
 * else goes through copyin/copyout.
 */
void cpu_user_access_begin(void);
void cpu_user_access_end(void);
/* The physical frame a page-table entry (pmap_kwalk's pw_entry) names. */
vm_paddr_t cpu_pte_frame(uint64_t entry);

#endif /* !_SYS_CPU_H_ */
