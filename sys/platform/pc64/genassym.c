/*
 * genassym.c - structure offsets and sizes for the assembly files.
 *
 * This file is never linked into the kernel.  The build compiles it to
 * assembly (-S) with the kernel's own flags and configuration, so every
 * value below is what the C compiler itself lays out; tools/genassym.sh
 * then turns each "->NAME VALUE" marker line into "#define NAME VALUE" in
 * $(BUILD)/include/assym.h, which the .S files include.  A field that
 * moves in C therefore moves in assembly at the next build: no offset is
 * ever typed by hand, and none can drift.
 */
#include <cpu/frame.h>
#include <cpu/segments.h>
#include <machine/globaldata.h>
#include <sys/thread.h>

/*
 * ASSYM(NAME, value): emit the marker "->NAME value" into the assembly
 * output.  %c prints the constant without the '$' an immediate would get.
 */
#define ASSYM(name, value)                                                     \
	__asm__ volatile("\n->" #name " %c0" : : "i"((long)(value)))

void genassym(void);

void
genassym(void)
{
	/* struct globaldata / mdglobaldata, reached as %gs:OFFSET. */
	ASSYM(GD_SELF, offsetof(struct globaldata, gd_self));
	ASSYM(GD_CURTHREAD, offsetof(struct globaldata, gd_curthread));
	ASSYM(GD_CPUID, offsetof(struct globaldata, gd_cpuid));
	ASSYM(GD_ONFAULT, offsetof(struct mdglobaldata, gd_onfault));
	ASSYM(GD_FAULT_VA, offsetof(struct mdglobaldata, gd_fault_va));
	ASSYM(GD_USER_RSP, offsetof(struct mdglobaldata, gd_user_rsp));
	ASSYM(GD_RSP0, offsetof(struct mdglobaldata, gd_rsp0));

	/* User selectors: the SYSCALL entry's frame. */
	ASSYM(SEL_UCODE, UCODE_SEL);
	ASSYM(SEL_UDATA, UDATA_SEL);

	/* struct thread: the context switch. */
	ASSYM(TD_SP, offsetof(struct thread, td_sp));

	/* struct trapframe: what alltraps saves, lowest address first. */
	ASSYM(TF_RAX, offsetof(struct trapframe, tf_rax));
	ASSYM(TF_RBX, offsetof(struct trapframe, tf_rbx));
	ASSYM(TF_RCX, offsetof(struct trapframe, tf_rcx));
	ASSYM(TF_RDX, offsetof(struct trapframe, tf_rdx));
	ASSYM(TF_RSI, offsetof(struct trapframe, tf_rsi));
	ASSYM(TF_RDI, offsetof(struct trapframe, tf_rdi));
	ASSYM(TF_RBP, offsetof(struct trapframe, tf_rbp));
	ASSYM(TF_R8, offsetof(struct trapframe, tf_r8));
	ASSYM(TF_R9, offsetof(struct trapframe, tf_r9));
	ASSYM(TF_R10, offsetof(struct trapframe, tf_r10));
	ASSYM(TF_R11, offsetof(struct trapframe, tf_r11));
	ASSYM(TF_R12, offsetof(struct trapframe, tf_r12));
	ASSYM(TF_R13, offsetof(struct trapframe, tf_r13));
	ASSYM(TF_R14, offsetof(struct trapframe, tf_r14));
	ASSYM(TF_R15, offsetof(struct trapframe, tf_r15));
	ASSYM(TF_TRAPNO, offsetof(struct trapframe, tf_trapno));
	ASSYM(TF_ERR, offsetof(struct trapframe, tf_err));
	ASSYM(TF_RIP, offsetof(struct trapframe, tf_rip));
	ASSYM(TF_CS, offsetof(struct trapframe, tf_cs));
	ASSYM(TF_RFLAGS, offsetof(struct trapframe, tf_rflags));
	ASSYM(TF_RSP, offsetof(struct trapframe, tf_rsp));
	ASSYM(TF_SS, offsetof(struct trapframe, tf_ss));
	ASSYM(TF_SIZE, sizeof(struct trapframe));
}
