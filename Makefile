# Top-level Makefile.  `make` builds build/$(KERNCONF)/kernel.elf and
# kernel.iso; see README.md for the targets.  Everything generated lives
# under build/, nothing is written into the source tree.

KERNCONF ?= GENERIC
BUILD    := build/$(KERNCONF)
SMP      ?= 8
MEM      ?= 512M
MACHINE  ?= q35
CPU      ?= max
CONF     := conf/$(KERNCONF)

ifeq ($(wildcard $(CONF)),)
$(error KERNCONF=$(KERNCONF): no such config file $(CONF); choose one of: $(notdir $(wildcard conf/[A-Z]*)))
endif

# "options NAME[=VALUE]" lines of the config become -D flags.  The command
# line the ISO boots with comes from DEFAULT_CMDLINE unless CMDLINE= is set.
CONF_OPTS := $(shell sed -n 's/\#.*//; s/^[[:space:]]*options[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' $(CONF))
CONF_DEFS := $(foreach o,$(filter-out DEFAULT_CMDLINE=%,$(CONF_OPTS)),-D$(o))
DEFAULT_CMDLINE := $(shell sed -n 's/^[[:space:]]*options[[:space:]]\{1,\}DEFAULT_CMDLINE="\([^"]*\)".*/\1/p' $(CONF))
CMDLINE  ?= $(DEFAULT_CMDLINE)

CC       := gcc
LD       := ld
CFLAGS   := -std=gnu11 -O2 -g -ffreestanding -nostdlib -fno-builtin \
	    -fno-stack-protector -fno-pic -fno-pie -mno-red-zone \
	    -mcmodel=kernel -mgeneral-regs-only -fno-omit-frame-pointer \
	    -fno-asynchronous-unwind-tables -fno-strict-aliasing \
	    -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	    -Wundef -Wshadow \
	    -Wno-unused-parameter \
	    -MD -MP -Isys -I$(BUILD)/include $(CONF_DEFS) -DKERNCONF=\"$(KERNCONF)\"
ASFLAGS  := -g -MD -MP -Isys -I$(BUILD)/include $(CONF_DEFS) -D__ASSEMBLY__
LDSCRIPT := $(BUILD)/kernel.ld
# ELF segments aligned to the page size of <cpu/param.h>.
PAGE_SHIFT := $(shell sed -n 's/^\#define PAGE_SHIFT *\([0-9]*\).*/\1/p' sys/cpu/x86_64/include/param.h)
LDFLAGS  := -nostdlib -z max-page-size=$(shell echo $$((1 << $(PAGE_SHIFT)))) \
	    -z noexecstack --no-warn-rwx-segments \
	    -T $(LDSCRIPT)

# Sources: every .c/.S under sys/ except host-only tests, genassym.c
# (compiled only to assembly, for the offsets .S files use) and the files
# conf/files makes optional on an option this config does not set.
GENASSYM := sys/platform/pc64/genassym.c
FILES_LINES := $(shell sed -n 's/\#.*//; /[^[:space:]]/p' conf/files | wc -l)
FILES_RULES := $(shell sed -n 's/\#.*//; s/^[[:space:]]*\([^[:space:]]\{1,\}\)[[:space:]]\{1,\}optional[[:space:]]\{1,\}\([A-Za-z0-9_]\{1,\}\)[[:space:]]*$$/\1@\2/p' conf/files)
ifneq ($(words $(FILES_RULES)),$(strip $(FILES_LINES)))
$(error conf/files: every line must read "PATTERN optional OPTION")
endif
CONF_OPTNAMES := $(foreach o,$(CONF_OPTS),$(firstword $(subst =, ,$(o))))
files_glob = $(wildcard $(firstword $(subst @, ,$(1))))
files_opt  = $(lastword $(subst @, ,$(1)))
$(foreach r,$(FILES_RULES),$(if $(call files_glob,$(r)),,$(error conf/files: '$(firstword $(subst @, ,$(r)))' matches no source)))
SRCS_OFF := $(foreach r,$(FILES_RULES),$(if $(filter $(call files_opt,$(r)),$(CONF_OPTNAMES)),,$(call files_glob,$(r))))
SRCS_C   := $(sort $(filter-out $(GENASSYM) $(SRCS_OFF),$(shell find sys -name '*.c' ! -name '*_htest.c')))
SRCS_S   := $(sort $(shell find sys -name '*.S'))
OBJS     := $(patsubst %.c,$(BUILD)/%.o,$(SRCS_C)) $(patsubst %.S,$(BUILD)/%.o,$(SRCS_S))
ELF      := $(BUILD)/kernel.elf
ISO      := $(BUILD)/kernel.iso
INCLINKS := $(BUILD)/include/cpu $(BUILD)/include/machine
ASSYM    := $(BUILD)/include/assym.h

.PHONY: FORCE all configs run test test-host test-boot test-scale test-bochs \
	bochs gdb bench format format-check deps clean compiledb \
	print-compiledb shellcheck test-ktap deps-boot mutants mutants-emu \
	mutants-variants
all: $(ELF) $(ISO)

# <cpu/...> and <machine/...> resolve through two links in the build dir.
$(BUILD)/include/cpu:
	@mkdir -p $(dir $@) && ln -sfn $(CURDIR)/sys/cpu/x86_64/include $@
$(BUILD)/include/machine:
	@mkdir -p $(dir $@) && ln -sfn $(CURDIR)/sys/platform/pc64/include $@

$(BUILD)/%.o: %.c $(CONF) | $(INCLINKS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -c $< -o $@

# assym.h: structure offsets for assembly, from the compiler's own layout
# (sys/platform/pc64/genassym.c, tools/genassym.sh).
$(BUILD)/genassym.s: $(GENASSYM) $(CONF) | $(INCLINKS)
	@mkdir -p $(dir $@)
	@echo "  GENASSYM $<"
	@$(CC) $(CFLAGS) -MF $(BUILD)/genassym.d -MT $@ -S $< -o $@
$(ASSYM): $(BUILD)/genassym.s tools/genassym.sh
	@tools/genassym.sh $< > $@.tmp && mv $@.tmp $@

$(BUILD)/%.o: %.S $(CONF) $(ASSYM) | $(INCLINKS)
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(CFLAGS) $(ASFLAGS) -c $< -o $@

# Two-pass link: the first pass has an empty symbol table; its symbols
# become .ksyms for the second.  .ksyms is the last section, so the second
# pass moves no code; the cmp below proves it.
$(BUILD)/ksyms0.o: tools/gensyms.sh | $(INCLINKS)
	@mkdir -p $(dir $@)
	@tools/gensyms.sh /dev/null > $(BUILD)/ksyms0.S
	@$(CC) $(ASFLAGS) -c $(BUILD)/ksyms0.S -o $@

# The linker script, preprocessed for PAGE_SIZE (<machine/param.h>).
$(LDSCRIPT): sys/platform/pc64/kernel.ld $(CONF) | $(INCLINKS)
	@mkdir -p $(dir $@)
	@$(CC) -E -P -undef -x c -D__ASSEMBLY__ -Isys -I$(BUILD)/include \
	    $(CONF_DEFS) $< -o $@

$(ELF): $(OBJS) $(BUILD)/ksyms0.o $(LDSCRIPT) tools/gensyms.sh
	@echo "  LD      $@"
	@$(LD) $(LDFLAGS) -o $(BUILD)/kernel.0.elf $(OBJS) $(BUILD)/ksyms0.o
	@nm -n $(BUILD)/kernel.0.elf > $(BUILD)/kernel.0.nm
	@tools/gensyms.sh $(BUILD)/kernel.0.nm > $(BUILD)/ksyms.S
	@$(CC) $(ASFLAGS) -c $(BUILD)/ksyms.S -o $(BUILD)/ksyms.o
	@$(LD) $(LDFLAGS) -o $@.tmp $(OBJS) $(BUILD)/ksyms.o
	@nm -n $@.tmp | grep -i ' t ' > $(BUILD)/kernel.1.nm
	@grep -i ' t ' $(BUILD)/kernel.0.nm | cmp -s - $(BUILD)/kernel.1.nm || \
	    { echo "ksyms: second link moved code; check kernel.ld" >&2; exit 1; }
	@grub-file --is-x86-multiboot2 $@.tmp || \
	    { echo "$@: not a multiboot2 kernel (grub-file)" >&2; exit 1; }
	@mv $@.tmp $@

# The ISO bakes in the command line, so it is rebuilt when CMDLINE=
# changes: the stamp file is rewritten only when its text differs.
CMDLINE_STAMP := $(BUILD)/cmdline.txt
$(CMDLINE_STAMP): FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' "$(CMDLINE)" | cmp -s - $@ || printf '%s\n' "$(CMDLINE)" > $@
FORCE:

# The user programs `make run`'s default command line starts (run=, the
# user-mode shootdown stress suite test/user/tlbstress.c, after the
# in-kernel suites) travel on the ISO as boot modules.
RUN_MODULES := build/user/tlbstress
$(ISO): $(ELF) tools/mkiso.sh conf/grub.cfg.in $(CMDLINE_STAMP) $(RUN_MODULES)
	@echo "  ISO     $@ ($(CMDLINE))"
	@MKISO_MODULES="$(addprefix $(CURDIR)/,$(RUN_MODULES))" \
	    tools/mkiso.sh $(ELF) "$(CMDLINE)" $@

QEMU_ARGS = -M $(MACHINE) -cpu $(CPU) -smp $(SMP) -m $(MEM) -no-reboot \
	    -display none -monitor none -serial stdio \
	    -device isa-debug-exit,iobase=0xf4,iosize=0x04

# make run: boot -smp 8 with the default workload; QEMU's exit status 33
# is success (isa-debug-exit), anything else is passed on as failure.
# CONSOLE=1 adds console=interactive: the debug shell (docs/DEBUGGING.md).
CONSOLE  ?=
RUN_ISO  := $(if $(CONSOLE),$(BUILD)/console.iso,$(ISO))
run: deps-run all
	@$(if $(CONSOLE),tools/mkiso.sh $(ELF) "$(CMDLINE) console=interactive" $(RUN_ISO))
	@echo "== booting $(RUN_ISO): -M $(MACHINE) -smp $(SMP) -m $(MEM), cmdline: $(CMDLINE)$(if $(CONSOLE), console=interactive)"
	@qemu-system-x86_64 $(QEMU_ARGS) -cdrom $(RUN_ISO); st=$$?; \
	    if [ $$st -eq 33 ]; then echo "== kernel reported success"; exit 0; \
	    else echo "== kernel reported failure (QEMU exit status $$st)"; exit 1; fi

gdb: deps-gdb all
	tools/gdb.sh $(ELF) $(ISO) "$(QEMU_ARGS)"

deps-run:
	@tools/deps.sh build qemu
deps-gdb:
	@tools/deps.sh build qemu gdb
# The boot runners judge through test/lib/ktap.py.
deps-boot:
	@tools/deps.sh build qemu python

# make test: everything CI runs, summed into one closing line.
# Every kernel configuration in conf/ (files named in capitals).
CONFIGS := $(notdir $(wildcard conf/[A-Z]*))

test:
	@tools/deps.sh build qemu host bochs gdb format python console shellcheck model linux
	@$(MAKE) --no-print-directory configs
	@test/run-all.sh host "ktap=/usr/bin/python3 test/lib/ktap_test.py" boot \
	    "console=/usr/bin/python3 test/run-console.py" \
	    "bochs=$(MAKE) --no-print-directory -s test-bochs" \
	    "gdb=$(MAKE) --no-print-directory -s test-gdb" \
	    "bench=$(MAKE) --no-print-directory -s bench-smoke" \
	    "linux=$(MAKE) --no-print-directory -s test-linux" \
	    "model=$(MAKE) --no-print-directory -s test-model" \
	    "mutants=/usr/bin/python3 test/mutants.py" \
	    "format=tools/format-check.sh" "shellcheck=tools/shellcheck.sh"

test-host:
	@test/host/run-host-tests.sh

# Build every configuration (the boot tests boot each at least once).
configs:
	@for c in $(CONFIGS); do \
	    $(MAKE) --no-print-directory KERNCONF=$$c all || exit 1; done

# The shootdown mutation matrix: every pmap.bug= mistake under the TLB
# sanitizer must be caught (test/mutants.py); mutants-emu: the same rows
# without the sanitizer, to show what the emulator alone lets through.
mutants: deps-boot all
	@/usr/bin/python3 test/mutants.py
mutants-emu: deps-boot all
	@/usr/bin/python3 test/mutants.py --emulator-only
# The same matrix for each other shootdown delivery (pmap.inval=thread,
# sync): about 45 s of boots each, so not part of make test.
mutants-variants: deps-boot all
	@/usr/bin/python3 test/mutants.py --inval thread,sync

# The serial-log parser and verdict of every runner, on crafted logs.
test-ktap:
	@tools/deps.sh python
	@/usr/bin/python3 test/lib/ktap_test.py

# Every shell script through shellcheck; KTAP, one test per script.
shellcheck:
	@tools/deps.sh shellcheck
	@tools/shellcheck.sh

test-boot: deps-boot configs
	@test/boot-tests.sh

test-scale: deps-boot all
	@test/scale-tests.sh

format:
	@tools/deps.sh format
	@clang-format -i $$(find sys test tools -name '*.[ch]')

format-check:
	@tools/format-check.sh

clean:
	rm -rf build

# compile_commands.json for clangd: every kernel source with this
# KERNCONF's exact flags, and the host tests with theirs.
compiledb:
	@tools/deps.sh python
	@/usr/bin/python3 tools/compiledb.py $(KERNCONF)

# For tools/compiledb.py: the variables a kernel compile uses, one word a
# line after the shell's quote removal (so -DKERNCONF=\"X\" is what gcc
# sees).  The include links must exist for the sources to parse.
print-compiledb: $(ASSYM) | $(INCLINKS)
	@echo "CC $(CC)"
	@echo "BUILD $(BUILD)"
	@for a in $(CFLAGS); do echo "CFLAGS $$a"; done
	@for a in $(ASFLAGS); do echo "ASFLAGS $$a"; done
	@for a in $(SRCS_C) $(GENASSYM); do echo "SRCS_C $$a"; done
	@for a in $(SRCS_S); do echo "SRCS_S $$a"; done

# Debugger and benchmark targets live in their own fragments.
include $(sort $(wildcard mk/*.mk))

-include $(OBJS:.o=.d) $(BUILD)/genassym.d
