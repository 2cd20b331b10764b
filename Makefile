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
	    -Wno-unused-parameter \
	    -MD -MP -Isys -I$(BUILD)/include $(CONF_DEFS) -DKERNCONF=\"$(KERNCONF)\"
ASFLAGS  := -g -MD -MP -Isys -I$(BUILD)/include $(CONF_DEFS) -D__ASSEMBLY__
LDFLAGS  := -nostdlib -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
	    -T sys/platform/pc64/kernel.ld

# Every kernel source under sys/, except host-only tests.
SRCS_C   := $(sort $(shell find sys -name '*.c' ! -name '*_htest.c'))
SRCS_S   := $(sort $(shell find sys -name '*.S'))
OBJS     := $(patsubst %.c,$(BUILD)/%.o,$(SRCS_C)) $(patsubst %.S,$(BUILD)/%.o,$(SRCS_S))
ELF      := $(BUILD)/kernel.elf
ISO      := $(BUILD)/kernel.iso
INCLINKS := $(BUILD)/include/cpu $(BUILD)/include/machine

.PHONY: all run test test-host test-boot test-scale test-bochs bochs gdb \
	bench format format-check deps clean
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

$(BUILD)/%.o: %.S $(CONF) | $(INCLINKS)
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

$(ELF): $(OBJS) $(BUILD)/ksyms0.o sys/platform/pc64/kernel.ld tools/gensyms.sh
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

$(ISO): $(ELF) tools/mkiso.sh conf/grub.cfg.in
	@echo "  ISO     $@ ($(CMDLINE))"
	@tools/mkiso.sh $(ELF) "$(CMDLINE)" $@

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

# make test: everything CI runs, summed into one closing line.
test:
	@tools/deps.sh build qemu host bochs gdb format model
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory KERNCONF=TINYFIFO all
	@$(MAKE) --no-print-directory KERNCONF=MAXCPU64 all
	@test/run-all.sh host boot "console=test/run-console.sh" \
	    "bochs=$(MAKE) --no-print-directory -s test-bochs" \
	    "gdb=$(MAKE) --no-print-directory -s test-gdb" \
	    "bench=$(MAKE) --no-print-directory -s bench-smoke" \
	    "model=$(MAKE) --no-print-directory -s test-model" \
	    "format=tools/format-check.sh"

test-host:
	@test/host/run-host-tests.sh

test-boot: all
	@$(MAKE) --no-print-directory KERNCONF=TINYFIFO all
	@$(MAKE) --no-print-directory KERNCONF=MAXCPU64 all
	@test/boot-tests.sh

test-scale: all
	@test/scale-tests.sh

format:
	@tools/deps.sh format
	@clang-format -i $$(find sys test tools -name '*.[ch]')

format-check:
	@tools/format-check.sh

clean:
	rm -rf build

# Debugger and benchmark targets live in their own fragments.
include $(sort $(wildcard mk/*.mk))

-include $(OBJS:.o=.d)
