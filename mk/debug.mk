# Debugger targets: Bochs (interactive and tested) and gdb on QEMU.
# Included by the top-level Makefile; see docs/DEBUGGING.md.
#
#   make bochs        boot the ISO in Bochs with its debugger on this
#                     terminal (BOCHS_CPUS, BOCHS_APIC, CMDLINE)
#   make test-bochs   non-interactive Bochs runs: test=all with xAPIC and
#                     with x2APIC, and the per-CPU layout checked from
#                     Bochs's debugger; one closing "N passed, N failed"
#   make gdb          QEMU stopped at the reset vector + gdb with the
#                     kernel's symbols and tools/gdb/pcoherence.py
#                     (the target itself is in the Makefile)
#   make test-gdb     gdb in batch mode against QEMU, checking the helpers
#   make test-console the debug console (console=interactive) driven
#                     through QEMU's serial port (test/run-console.py,
#                     python3-pexpect)

BOCHS_CPUS        ?= 4
BOCHS_APIC        ?= xapic
BOCHS_TIMEOUT     ?= 180
# The magic-breakpoint site the per-CPU test stops at: "smp" is hit once
# every CPU is online (mp_machdep.c).
BOCHS_PERCPU_SITE ?= smp

.PHONY: deps-bochs deps-console test-gdb test-console

# run-bochs.sh judges through test/lib/ktap.py: python3 too.
deps-bochs:
	@tools/deps.sh build bochs gdb python

deps-console:
	@tools/deps.sh build qemu console

# The interactive session uses the same conf/bochsrc.in as the tests
# (build/bochs/interactive.bochsrc), with the kernel's symbols loaded.
bochs: deps-bochs all
	@test/run-bochs.sh --interactive --name interactive \
	    --cpus $(BOCHS_CPUS) --apic $(BOCHS_APIC) --cmdline "$(CMDLINE)" \
	    --elf $(ELF)

test-bochs: deps-bochs all
	@BOCHS_CPUS=$(BOCHS_CPUS) BOCHS_TIMEOUT=$(BOCHS_TIMEOUT) \
	    BOCHS_PERCPU_SITE=$(BOCHS_PERCPU_SITE) KERNCONF=$(KERNCONF) \
	    test/bochs-tests.sh

test-gdb: deps-gdb all
	@KERNCONF=$(KERNCONF) test/run-gdb.sh

test-console: deps-console all
	@KERNCONF=$(KERNCONF) /usr/bin/python3 test/run-console.py
