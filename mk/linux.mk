# The same user programs on this kernel and on Linux 6.1 (Debian's cloud
# kernel, fetched by tools/linux-kernel.sh), side by side
# (docs/PERFORMANCE.md, "This kernel and Linux").
#
#   make bench-linux      boot Linux only, BENCH_PAIRS times at each
#                         VS_SMP: its numbers, build/bench-linux/
#   make bench-vs-linux   alternate boots, ours then Linux, BENCH_PAIRS
#                         pairs at each VS_SMP (default 2 8; 1 with
#                         VS_MODE=icount): the ratio
#                         table (ours / Linux per pair; min, median, max),
#                         build/bench-vs-linux/results.json and PNG plots;
#                         VS_MODE=icount for the deterministic variant;
#                         VARIANTS="a b" boots our kernel once per variant
#                         with pmap.inval=a (VS_VARIANT_OPT)
#   make test-linux       the smoke part of make test: one Linux boot
#                         running tlbstress (3 s) and one tlbbench point,
#                         and one --selftest boot that must fail
#   make stress-vs-linux  tlbstress on both kernels (STRESS_SECS)
#   make stress-mutants   tlbstress on our kernel under each user-pmap
#                         pmap.bug= row: each must fail by tlbstress's own
#                         checks (what TCG lets a program see)
#   make stress-mutants-tlbsan  the same on conf/TLBSAN with tlbsan=1:
#                         tlbstress drives, the sanitizer judges too
#
# The programs: test/user/tlbstress.c (the user-mode shootdown stress
# suite), test/user/tlbbench.c (the benchmarks); test/linux/init.c is
# the Linux boot's PID 1.

BENCH_PAIRS    ?= 3
# -icount: -smp 1 by default.  QEMU 7.2's round-robin icount scheduler
# hangs Linux 6.1 at SMP bring-up ("x86: Booting SMP configuration"),
# so at -smp 2 only our kernel finishes (docs/PERFORMANCE.md, section 8).
VS_SMP         ?= $(if $(filter icount,$(VS_MODE)),1,2 8)
VS_MODE        ?= tcg
VS_RUNS        ?= 5
VS_MS          ?= 100
VARIANTS       ?=
VS_VARIANT_OPT ?= pmap.inval
STRESS_SECS    ?= 8

# The programs are built by mk/user.mk's rule (every test/user/*.c).
LINUX_PROGS := build/user/tlbstress build/user/tlbbench
LINUX_INIT  := build/linux/init

$(LINUX_INIT): test/linux/init.c
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $<"
	@musl-gcc $(USER_CFLAGS) -o $@ $<

.PHONY: linux-progs bench-linux bench-vs-linux test-linux stress-vs-linux \
	stress-mutants stress-mutants-tlbsan
linux-progs: $(LINUX_PROGS) $(LINUX_INIT)

VS_RUNNER = /usr/bin/python3 tools/bench-vs-linux.py --smp "$(VS_SMP)" \
	--pairs $(BENCH_PAIRS) --mode $(VS_MODE) --runs $(VS_RUNS) \
	--ms $(VS_MS) --variants "$(VARIANTS)" --variant-opt $(VS_VARIANT_OPT)

bench-linux: linux-progs
	@tools/deps.sh linux qemu plot
	@$(VS_RUNNER) --linux-only --out build/bench-linux

bench-vs-linux: all linux-progs
	@tools/deps.sh linux qemu plot
	@$(VS_RUNNER) --elf $(ELF) --out build/bench-vs-linux

stress-vs-linux: all linux-progs
	@tools/deps.sh linux qemu
	@/usr/bin/python3 tools/bench-vs-linux.py stress --elf $(ELF) \
	    --smp "$(VS_SMP)" --seconds $(STRESS_SECS)

test-linux: linux-progs
	@tools/deps.sh linux qemu
	@/usr/bin/python3 tools/bench-vs-linux.py smoke

stress-mutants: all linux-progs
	@tools/deps.sh qemu
	@/usr/bin/python3 tools/bench-vs-linux.py mutants --elf $(ELF)

stress-mutants-tlbsan: configs linux-progs
	@tools/deps.sh qemu
	@/usr/bin/python3 tools/bench-vs-linux.py mutants --tlbsan
