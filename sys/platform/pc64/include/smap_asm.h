/*
 * SMAP_STAC / SMAP_CLAC: the assembly macros that open and close
 * supervisor access to user pages.  Assembly only (.S files): the trap
 * entry (exception.S) closes access on every entry, and the user copy
 * loops (copyuser.S) open it for exactly the copy.  Both test
 * cpu_smap_on first, because STAC and CLAC are #UD on a CPU without SMAP.
 */
#ifndef _MACHINE_SMAP_ASM_H_
#define _MACHINE_SMAP_ASM_H_

/* Assembler macros, not C: clang-format must leave them alone. */
/* clang-format off */
/* CLAC when SMAP is on: forbid supervisor access to user pages. */
	.macro	SMAP_CLAC
	cmpb	$0, cpu_smap_on(%rip)
	je	98f
	clac
98:
	.endm

/* STAC when SMAP is on: allow supervisor access to user pages. */
	.macro	SMAP_STAC
	cmpb	$0, cpu_smap_on(%rip)
	je	97f
	stac
97:
	.endm
/* clang-format on */

#endif /* !_MACHINE_SMAP_ASM_H_ */
