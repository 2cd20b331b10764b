/*
 * The TLB-shootdown stress suite (sys/vm/pmap_stress.c): ktest suite
 * "stress", selected by the boot option stress=all|name,name (scenarios
 * remap, initiators, switch, idle, ptpage, kernel, introff), with
 * stress.seconds=N per scenario and stress.seed=N.  docs/ARCHITECTURE.md (section 11),
 * "Stress suite", describes the scenarios and how violations are found.
 */
#ifndef _VM_PMAP_STRESS_H_
#define _VM_PMAP_STRESS_H_

/* After the test run: the per-CPU summary table, if any scenario ran. */
void pmap_stress_summary(void);
/*
 * Run one scenario by name for seconds (the console's "stress" command).
 * Returns 0 when it found nothing, 1 when it found problems, -1 for an
 * unknown name.
 */
int pmap_stress_run(const char *name, int seconds);

#endif /* !_VM_PMAP_STRESS_H_ */
