/*
 * db_trace.c - register dumps and frame-pointer backtraces for panics.
 *
 * The kernel is built with -fno-omit-frame-pointer, so every frame starts
 * with (saved rbp, return address).  The walk trusts nothing: each frame
 * pointer must be 8-byte aligned, inside the kernel's half of the address
 * space, and above the previous one (stacks grow down, so a walk that
 * goes backwards is corrupt); it stops after a fixed depth.  exception.S
 * plants a frame for the trap, so a backtrace continues through it into
 * the interrupted code.
 */
#include <machine/md_var.h>

#include <cpu/cpufunc.h>
#include <machine/vmparam.h>
#include <sys/cpu.h>
#include <sys/ksyms.h>
#include <sys/systm.h>

#define BT_MAXDEPTH 32

static void
print_addr(uint64_t addr)
{
	uint64_t off;
	const char *name = ksyms_lookup(addr, &off);

	if (name != NULL)
		kprintf("%#018lx <%s+%#lx>", addr, name, off);
	else
		kprintf("%#018lx", addr);
}

static bool
frame_ok(uint64_t rbp)
{
	/* Kernel stacks live in slot 511 (per-CPU window, KVA, .bss). */
	return rbp >= PRIVSPACE_ADDRESS && rbp <= 0xfffffffffffff000ull &&
	       (rbp & 7) == 0;
}

void
db_print_backtrace(uint64_t rbp, uint64_t rip)
{
	int depth;

	kprintf("backtrace:\n");
	kprintf("  #0  ");
	print_addr(rip);
	kprintf("\n");
	for (depth = 1; depth < BT_MAXDEPTH && frame_ok(rbp); depth++) {
		uint64_t *frame = (uint64_t *)rbp;
		uint64_t ret = frame[1], next = frame[0];

		if (ret == 0)
			break;
		kprintf("  #%-2d ", depth);
		/* A return address points after the call: name the call. */
		print_addr(ret - 1);
		kprintf("\n");
		if (next <= rbp)
			break;
		rbp = next;
	}
}

void
db_print_trapframe(const struct trapframe *tf)
{
	kprintf("  rip ");
	print_addr(tf->tf_rip);
	kprintf("\n  rsp %#018lx rflags %#lx cs %#lx ss %#lx\n", tf->tf_rsp,
	        tf->tf_rflags, tf->tf_cs, tf->tf_ss);
	kprintf("  rax %#018lx rbx %#018lx rcx %#018lx\n", tf->tf_rax,
	        tf->tf_rbx, tf->tf_rcx);
	kprintf("  rdx %#018lx rsi %#018lx rdi %#018lx\n", tf->tf_rdx,
	        tf->tf_rsi, tf->tf_rdi);
	kprintf("  rbp %#018lx r8  %#018lx r9  %#018lx\n", tf->tf_rbp,
	        tf->tf_r8, tf->tf_r9);
	kprintf("  r10 %#018lx r11 %#018lx r12 %#018lx\n", tf->tf_r10,
	        tf->tf_r11, tf->tf_r12);
	kprintf("  r13 %#018lx r14 %#018lx r15 %#018lx\n", tf->tf_r13,
	        tf->tf_r14, tf->tf_r15);
	kprintf("  cr0 %#lx cr2 %#lx cr3 %#lx cr4 %#lx\n", rcr0(), rcr2(),
	        rcr3(), rcr4());
}

void
cpu_backtrace(void)
{
	uint64_t *frame = __builtin_frame_address(0);

	/* Start at our caller: its frame and the address it will return to. */
	db_print_backtrace(frame[0], frame[1]);
}

uint64_t
cpu_read_cr3(void)
{
	return rcr3();
}
