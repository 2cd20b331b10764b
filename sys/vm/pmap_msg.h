/*
 * pmap updates as messages (sys/vm/pmap_msg.c): a per-CPU service thread
 * executes them, so an update can run on the CPU where the address space
 * is active, or simply off the caller's CPU.
 */
#ifndef _VM_PMAP_MSG_H_
#define _VM_PMAP_MSG_H_

#include <sys/msgport.h>
#include <sys/types.h>

struct pmap;

#define PMAP_MSG_ENTER   1 /* pmap_enter(pm, sva, pa, prot, flags) */
#define PMAP_MSG_REMOVE  2 /* pmap_remove(pm, sva, eva) */
#define PMAP_MSG_PROTECT 3 /* pmap_protect(pm, sva, eva, prot) */

struct pmap_msg {
	struct lwkt_msg pmm_msg; /* must be first; ms_result is the result */
	int pmm_op;              /* PMAP_MSG_* */
	struct pmap *pmm_pmap;   /* the address space */
	vm_offset_t pmm_sva;     /* start (ENTER: the va) */
	vm_offset_t pmm_eva;     /* end, exclusive (not for ENTER) */
	vm_paddr_t pmm_pa;       /* ENTER: the frame */
	int pmm_prot;            /* ENTER, PROTECT: VM_PROT_* */
	int pmm_flags;           /* ENTER: PMAP_ENTER_* */
	int pmm_cpu;             /* set by the service: where it ran */
};

void pmap_msg_init(struct pmap_msg *msg, struct lwkt_port *reply_port, int op,
                   struct pmap *pm, vm_offset_t sva, vm_offset_t eva,
                   vm_paddr_t pa, int prot, int flags);
/* Run msg on cpu's pmap service thread and wait: returns its result. */
int64_t pmap_msg_send(int cpu, struct pmap_msg *msg);
/* Same, asynchronously: the reply goes to the msg's reply port. */
void pmap_msg_send_async(int cpu, struct pmap_msg *msg);
/* Start one service thread per CPU (pmap_mp_init(), after lwkt_init()). */
void pmap_msg_start(void);

#endif /* !_VM_PMAP_MSG_H_ */
