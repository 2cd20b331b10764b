# Benchmark targets.  Included by the top-level Makefile; see
# docs/PERFORMANCE.md for the workloads and the numbers.
#
#   make bench          bench=all at -smp $(BENCH_SMP) (default 2 8), and
#                       the user-mode costs (tlbbench):
#                       build/bench/results.json, the serial logs, a table
#                       (-smp 8 is what the shootdown benchmarks' k = 7
#                       needs)
#   make bench-scale    the same at -smp 2 4 8 16 32 64 (slow: opt-in),
#                       into build/bench-scale/; the shootdown benchmarks
#                       only at k = 0 and k = all other CPUs
#   make bench-smoke    bench.runs=1 at -smp 2 into build/bench-smoke/, the
#                       LWKT benchmarks and one pmap benchmark
#                       (shootdown_1page, k = 1 only),
#                       closing "N passed, N failed" (passed: results were
#                       produced and parsed); for `make test`, as the
#                       test/run-all.sh part 'bench=make -s bench-smoke'
#   make bench-variants the shootdown benchmarks of every pmap.inval=
#                       variant (ipiq, thread, sync) on the same kernel,
#                       booted alternately, VARIANT_PAIRS rounds (default
#                       3) at -smp 2 and 8: per-variant medians and ratios
#                       to ipiq, min/median/max round by round
#                       (test/bench-variants.sh, tools/bench-variants.py);
#                       mode crit = remote CPUs in 100 us critical sections
#   make bench-compare A=old.json B=new.json
#                       side-by-side medians and B/A per measurement
#                       (tools/bench-compare.py)
#   make bench-plot [RESULTS="a.json b.json"]
#                       PNG plots into docs/img (tools/bench-plot.py,
#                       python3-matplotlib)
#
# test/bench.sh boots; tools/bench-report.py parses the serial logs into
# results.json and prints the tables.  Linux's numbers come from
# make bench-vs-linux (mk/linux.mk), never typed in.
#
# Knobs: BENCH_LIST (bench=, default all), BENCH_RUNS (default 7),
# BENCH_ARGS (more kernel options, e.g. "bench.k=1,2,4 bench.ms=50"),
# BENCH_MODE=icount (deterministic -icount shift=4,sleep=off runs).

BENCH_SMP       ?= 2 8
BENCH_SCALE_SMP ?= 2 4 8 16 32 64
BENCH_LIST      ?= all
BENCH_RUNS      ?= 7
BENCH_ARGS      ?=
BENCH_MODE      ?= tcg
# The scaling run sweeps the machine, not k: the shootdown benchmarks run
# with no remote CPU (the baseline) and with every other CPU.
BENCH_SCALE_ARGS ?= bench.shootdown_k=0,all
# make test runs the smoke run: every LWKT benchmark, but of the pmap
# ones a single short one.
BENCH_SMOKE_LIST ?= ipi_pingpong,ipi_avoided,ipi_all_to_all,lwkt_domsg,shootdown_1page
BENCH_SMOKE_ARGS ?= bench.shootdown_k=1
BENCH_DIR       ?= build/bench
RESULTS         ?= $(BENCH_DIR)/results.json
PLOT_DIR        ?= docs/img

.PHONY: bench-scale bench-smoke bench-compare bench-plot deps-plot deps-bench \
	bench-variants

# One place that knows how test/bench.sh is called; $(1) is the output
# directory, $(2) the -smp list, $(3) the run count, $(4) the bench= list,
# $(5) more kernel options (after BENCH_ARGS).  Every boot also runs the
# user-mode costs of test/user/tlbbench.c (the program make
# bench-vs-linux runs on both kernels: null system call, demand-zero
# fault, thread create+join, futex round trip; $(3) runs of
# BENCH_USER_MS ms each) as a process, whose BENCH lines ("mode":"user")
# land in the same results.json.
BENCH_USER_MS   ?= 100
BENCH_USER_LIST := null_syscall+demand_zero_fault+thread_create_join+futex_round_trip
bench_run = BENCH_OUT=$(1) BENCH_SMP="$(2)" BENCH_RUNS=$(3) \
	BENCH_LIST="$(4)" \
	BENCH_ARGS="$(strip $(BENCH_ARGS) $(5) \
	    run=tlbbench:$(3):$(BENCH_USER_MS):$(BENCH_USER_LIST))" \
	QEMU_MODULES=$(CURDIR)/build/user/tlbbench \
	BENCH_MODE=$(BENCH_MODE) BENCH_ELF=$(ELF) test/bench.sh

# The boots need QEMU, the parsing python3.
deps-bench:
	@tools/deps.sh build qemu python

bench: deps-bench all
	@$(call bench_run,$(BENCH_DIR),$(BENCH_SMP),$(BENCH_RUNS),$(BENCH_LIST))

bench-scale: deps-bench all
	@$(call bench_run,build/bench-scale,$(BENCH_SCALE_SMP),$(BENCH_RUNS),$(BENCH_LIST),$(BENCH_SCALE_ARGS))

# Short on purpose: it checks that the benchmarks still run and their
# output still parses, not how fast anything is.
bench-smoke: deps-bench all
	@$(call bench_run,build/bench-smoke,2,1,$(BENCH_SMOKE_LIST),$(BENCH_SMOKE_ARGS))

# Every shootdown delivery variant, same binary.  Knobs: VARIANT_PAIRS,
# INVAL_VARIANTS, BENCH_VARIANTS_LIST, BENCH_VARIANTS_ARGS, BENCH_VARIANTS_RUNS.
VARIANT_PAIRS        ?= 3
INVAL_VARIANTS       ?= ipiq thread sync
BENCH_VARIANTS_LIST  ?= shootdown_1page
BENCH_VARIANTS_RUNS  ?= 5
BENCH_VARIANTS_ARGS  ?= bench.shootdown_k=0,1,all bench.crit_us=100
bench-variants: deps-bench all
	@VARIANT_PAIRS=$(VARIANT_PAIRS) VARIANTS="$(INVAL_VARIANTS)" \
	    BENCH_SMP="$(BENCH_SMP)" BENCH_LIST=$(BENCH_VARIANTS_LIST) \
	    BENCH_RUNS=$(BENCH_VARIANTS_RUNS) \
	    BENCH_ARGS="$(strip $(BENCH_VARIANTS_ARGS) $(BENCH_ARGS))" \
	    BENCH_OUT=build/bench-variants BENCH_ELF=$(ELF) \
	    test/bench-variants.sh

bench-compare:
	@tools/deps.sh python
	@test -n "$(A)" -a -n "$(B)" || \
	    { echo "usage: make bench-compare A=old.json B=new.json" >&2; exit 2; }
	@/usr/bin/python3 tools/bench-compare.py "$(A)" "$(B)"

deps-plot:
	@tools/deps.sh plot

bench-plot: deps-plot
	@/usr/bin/python3 tools/bench-plot.py -o $(PLOT_DIR) $(RESULTS)
