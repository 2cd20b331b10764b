/*
 * Machine-dependent functions that other pc64 files call.  The
 * machine-independent interfaces (cpu_*, pmap_*) are declared in
 * <sys/cpu.h> and <vm/pmap.h>.
 */
#ifndef _MACHINE_MD_VAR_H_
#define _MACHINE_MD_VAR_H_

#include <cpu/frame.h>
#include <sys/types.h>

struct gdtpage;

void hammer_time(uint32_t mbi_pa, uint32_t has_nx) __noreturn;
void trap(struct trapframe *tf);
/*
 * The spurious-fault test of the page-fault handler (trap.c): true when
 * the page tables under cr3 permit the access err describes at va now,
 * so the fault came from a stale TLB or paging-structure-cache entry and
 * the access should be retried.  Tests call it with synthetic faults.
 */
bool trap_pf_permitted(uint64_t cr3, vm_offset_t va, uint64_t err);
/*
 * The page-fault handler's decision: true (retry) when the live tables
 * permit the fault's access, after a local invalidation of cr2 and a
 * count in pc_spurious_faults; false (a real fault) otherwise.
 */
bool trap_pf_spurious(struct trapframe *tf, uint64_t cr2);
/* The same fault retried this often in a row is not spurious after all. */
#define TRAP_PF_RETRY_MAX 8
int cpu_probe(const volatile void *va, int write);

/* segments.c */
void idt_init(void);
void cpu_segments_init(struct gdtpage *gp, vm_offset_t df_stack_top,
                       vm_offset_t nmi_stack_top);
void idt_set_handler(int vec, void (*fn)(struct trapframe *));

/* tsc.c, mp_machdep.c */
void tsc_calibrate(void);
int cpu_apicid_to_cpuid(uint32_t apicid);
extern uint32_t cpu_apicid[];
extern uint64_t mp_online_ns;
/* Panic: how a CPU stopped (mp_machdep.c); trap.c stops on an NMI. */
#define STOP_NONE 0 /* not (yet) stopped */
#define STOP_IPI  1 /* took IPI_VECTOR_STOP */
#define STOP_NMI  2 /* ignored the IPI, took the NMI */
bool mp_stop_requested(void);
void mp_stop_self(struct trapframe *tf, int how) __noreturn;

/* cpu_user.c */
void cpu_user_init(void); /* SYSCALL, SMEP/SMAP, FPU on this CPU */
void trap_user(struct trapframe *tf);
bool trap_user_copy_fault(struct trapframe *tf, uint64_t va);
void syscall_handler(struct trapframe *tf);
int cpu_user_frame_ok(const struct trapframe *tf);
void cpu_user_return(struct trapframe *tf) __noreturn;        /* exception.S */
int cpu_kernel_touch_user(const volatile void *va, int exec); /* copyuser.S */
extern uint8_t cpu_smap_on;
extern bool cpu_has_smep, cpu_has_smap;

/* db_trace.c */
void db_print_backtrace(uint64_t rbp, uint64_t rip);
void db_print_trapframe(const struct trapframe *tf);

extern char _kernel_pa_start[], _text_start[], _etext[], _rodata_start[],
    _erodata[], _data_start[], _edata[], _bss_start[], _ebss[], _ksyms_start[],
    _end[];
extern char boot_stack[];
extern bool cpu_has_nx, cpu_has_pg1g, cpu_has_pge;

#endif /* !_MACHINE_MD_VAR_H_ */
