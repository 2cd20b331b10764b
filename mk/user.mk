# User-mode programs (test/user/*.c): static musl executables, loaded as
# boot modules and started with run=NAME (sys/kern/kern_userboot.c).  The
# same binaries run unmodified on Linux.  musl-gcc comes from the Debian
# package musl-tools (tools/deps.sh user).
USER_SRCS := $(sort $(wildcard test/user/*.c))
USER_PROGS := $(patsubst test/user/%.c,build/user/%,$(USER_SRCS))
USER_CFLAGS := -static -O2 -g -Wall -Wextra -Werror -pthread

.PHONY: user
user: $(USER_PROGS)

build/user/%: test/user/%.c $(wildcard test/user/*.h)
	@mkdir -p $(dir $@)
	@echo "  MUSLCC  $<"
	@musl-gcc $(USER_CFLAGS) -o $@ $<

all: $(USER_PROGS)

# Malformed executables for the loader's boot test: a truncated ELF.
USER_BAD := build/user/bad_truncated
$(USER_BAD): build/user/ut_segv
	@head -c 300 $< > $@
all: $(USER_BAD)

# Static-PIE builds (ET_DYN, no PT_INTERP: musl's rcrt1.o relocates the
# program itself, using AT_PHDR to find its dynamic section).  musl-gcc's
# spec file has no -static-pie, so the start files are named here.
MUSL_LIB := /usr/lib/x86_64-linux-musl
USER_PIE := build/user/ut_signals_pie build/user/ut_syscalls_pie
build/user/%_pie: test/user/%.c $(wildcard test/user/*.h)
	@mkdir -p $(dir $@)
	@echo "  MUSLPIE $<"
	@musl-gcc $(filter-out -static,$(USER_CFLAGS)) -fPIE -static \
	    -Wl,-pie -Wl,--no-dynamic-linker -nostartfiles \
	    $(MUSL_LIB)/rcrt1.o $(MUSL_LIB)/crti.o \
	    $$(gcc -print-file-name=crtbeginS.o) $< \
	    $$(gcc -print-file-name=crtendS.o) $(MUSL_LIB)/crtn.o -o $@
all: $(USER_PIE)
