#!/usr/bin/env bash
# The boot configurations `make test` runs: each is one QEMU boot of the
# kernel judged by test/run-qemu.sh, numbered as one KTAP test.
#
#   test/boot-tests.sh [NAME...]        or   BOOT_TESTS=name,name test/boot-tests.sh
#
# Environment: BOOT_ELF (default build/$KERNCONF/kernel.elf, KERNCONF
# defaulting to GENERIC), BOOT_TIMEOUT (seconds per boot, default 120),
# BOOT_LIST=1 (print the configuration names and exit).
#
# Output: "KTAP version 1", the plan, each boot's run-qemu.sh output (its
# nested subtest and result line), and as the last line the sum of every
# boot's "N passed, N failed".  The per-boot summary lines are folded into
# that sum rather than printed, so the output has exactly one closing line.
# Exit status 0 iff nothing failed.
#
# Boots run one after another: on a 2-core machine parallel QEMUs only slow
# each other down and make the timings meaningless.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Options every boot gets unless its row says otherwise (later flags win).
defaults=(--machine q35 --smp 4 --mem 512M --cmdline "test=all")

# ---------------------------------------------------------------------
# The table.  One `boot NAME RUN-QEMU-OPTIONS...` per configuration; add a
# line to add a configuration.  See test/run-qemu.sh for the options.
names=()
rows=()
boot() {
	names+=("$1")
	shift
	rows+=("$(printf '%q ' "$@")")
}
boot q35-smp8      --machine q35 --smp 8 --mem 512M
boot pc-smp8       --machine pc --smp 8
boot mem64M        --mem 64M
boot mem4G         --mem 4G
boot smp1          --smp 1
boot smp2          --smp 2
boot smp3          --smp 3
boot smp4          --smp 4
# Two sockets of three cores: APIC IDs 0-2 and 4-6, not contiguous.
boot smp6-sockets  --smp 6,sockets=2,cores=3
# The harness must report a failing in-kernel test as a failure.
boot test-fail     --cmdline "test=all test.fail=1" --expect fail
# A 32-bit CPU: the boot code must refuse cleanly, not crash.
boot no-longmode   --cpu qemu32 --expect fail \
                   --expect-line "this CPU does not support long mode"
# Too little RAM for the kernel (GRUB itself still boots here).
boot mem24M        --mem 24M --expect fail --expect-line "not enough memory"
# Malformed boot options: warnings, then a normal run.
boot bad-bootopts  --cmdline "test=all smp.max=abc bogus=1 =x" \
                   --expect-line "bootopt:"
# LWKT fault injection: a CPU that ignores its queues for 1.5 s makes
# senders' watchdogs warn, and the system recovers when it resumes.
boot ipiq-stall    --smp 8 --cmdline "test=ipiq ipiq.stall=1,1500" \
                   --expect-line "ipiq: warning"
# Dropping every message must be caught (the watchdog panics).
boot ipiq-drop     --smp 8 --cmdline "test=ipiq ipiq.drop=1" --expect fail \
                   --expect-line "stuck"
# Lost wakeups: with every 5th hardware IPI of the queues never sent, the
# timer tick's safety drain must still complete every message (busy
# targets included); without the safety drain the watchdog must catch
# the stalled queue.
boot ipiq-lose-ipi --smp 4 --cmdline "test=ipiq,pmapmp ipiq.lose_ipi=5"
boot ipiq-lose-nosafety --smp 4 \
                   --cmdline "test=ipiq ipiq.lose_ipi=5 ipiq.no_safety_drain=1" \
                   --expect fail --expect-line "stuck waiting for a message on"
# A spin lock counted as held only after it is taken (the ordering bug
# behind the ut_threads wedge): the spinlock suite must see a preempted
# holder (sys/kern/kern_spinlock_test.c).
boot spin-count-late --smp 2 --cmdline "test=spinlock spin.bug_count_late=1" \
                   --expect fail --expect-line "found the lock held [1-9]"
# A thread overflowing its stack hits its guard page: a clear panic.
boot stack-overflow --smp 2 --cmdline "test=lwkt lwkt.overflow_test=1" \
                   --expect fail --expect-line "thread stack overflow"
# Many initiators, one target, 8-entry FIFOs: the senders must hit a full
# FIFO (the paths table's last column) while their shootdowns fly.
boot tinyfifo-fanin --smp 8 --elf "$top/build/TINYFIFO/kernel.elf" \
                   --cmdline "test=none stress=fanin,initiators stress.seconds=2" \
                   --expect-line "^  fanin +([0-9]+ +){7}[1-9][0-9]*$"
# 8-entry FIFOs (conf/TINYFIFO): both sides flood each other, no deadlock.
boot tinyfifo      --smp 8 --elf "$top/build/TINYFIFO/kernel.elf" \
                   --cmdline "test=ipiq,msgport,lwkt"
# A panic stops every other CPU and prints each one's thread and
# backtrace: by the stop IPI, or (cpu 2 spinning with interrupts off) by
# the NMI that follows when the IPI is not taken within 100 ms.
boot panic-ipi     --smp 4 --cmdline "test=none panic.test=ipi" --expect fail \
                   --expect-line "cpu 3 \(stopped by IPI\): APIC ID 3, thread \"idle3\""
boot panic-nmi     --smp 4 --cmdline "test=none panic.test=nmi" --expect fail \
                   --expect-line "cpu 2 \(stopped by NMI\): APIC ID 2, thread \"panic.spin\""
# Every kernel config boots at least once.  DEBUG: the heavier
# consistency checks (INVARIANT_SUPPORT, DEBUG_KMALLOC) on the test suites.
boot debug         --elf "$top/build/DEBUG/kernel.elf" --cmdline "test=all"
# MINIMAL: no options KTEST, so no test code at all: it must still boot
# every CPU and end with its empty plan and the counters.
boot minimal       --smp 4 --elf "$top/build/MINIMAL/kernel.elf" --cmdline "" \
                   --expect-line "lacks options KTEST"
# More CPUs than MAXCPU (conf/MAXCPU64 on 72 CPUs): use 64, warn, run.
boot maxcpu-overflow --machine pc --smp 72 --mem 1G \
                   --elf "$top/build/MAXCPU64/kernel.elf" --cmdline "test=smp" \
                   --expect-line "8 CPUs beyond MAXCPU=64 are not used"
# The shootdown tests must see a missing remote flush: with it skipped
# they report stale TLB entries, and without waiting for acks the exact
# message counts break.  (Proves the tests can see the bug they test.)
boot pmap-skip-remote --smp 8 --cmdline "test=pmapmp pmap.bug=no_remote" \
                   --expect fail --expect-line "stale TLB"
boot pmap-nowait   --smp 8 --cmdline "test=pmapmp pmap.bug=no_wait" \
                   --expect fail
# The shootdown stress suite (sys/vm/pmap_stress.c): every scenario for
# 1 s must find nothing; with remote flushes skipped it must find stale
# reads (proves the suite can see the bug it hunts).
boot stress        --smp 8 --cmdline "test=none stress=all stress.seconds=1"
# The TLB sanitizer (conf/TLBSAN, on from boot): the pmap suites and every
# stress scenario judged by the SDM 4.10 rules, not by TCG's TLB, must
# end with 0 violations and no lost record.
boot tlbsan-smp4   --smp 4 --elf "$top/build/TLBSAN/kernel.elf" \
                   --cmdline "test=pmap,pmapmp,inval,trap stress=all stress.seconds=1" \
                   --expect-line "tlbsan: .* 0 dropped, 0 violations"
boot tlbsan-smp8   --smp 8 --elf "$top/build/TLBSAN/kernel.elf" \
                   --cmdline "test=pmap,pmapmp,inval,trap stress=all stress.seconds=1" \
                   --expect-line "tlbsan: .* 0 dropped, 0 violations"
# The other shootdown deliveries (pmap.inval=, sys/platform/pc64/
# pmap_inval.c): each target's invalidation thread, and the dedicated
# synchronous vector; same suites, same sanitizer verdict.  A bad value
# is reported and falls back to ipiq.
boot tlbsan-thread-smp8 --smp 8 --elf "$top/build/TLBSAN/kernel.elf" \
                   --cmdline "test=pmap,pmapmp,trap stress=all stress.seconds=1 pmap.inval=thread" \
                   --expect-line "tlbsan: .* 0 dropped, 0 violations"
boot tlbsan-sync-smp8 --smp 8 --elf "$top/build/TLBSAN/kernel.elf" \
                   --cmdline "test=pmap,pmapmp,trap stress=all stress.seconds=1 pmap.inval=sync" \
                   --expect-line "tlbsan: .* 0 dropped, 0 violations"
boot inval-bad     --smp 2 --cmdline "test=pmapmp pmap.inval=bogus" \
                   --expect-line "pmap: error: pmap.inval=bogus: unknown variant .*; using ipiq"
boot stress-skip-remote --smp 8 \
                   --cmdline "test=none stress=remap,kernel stress.seconds=2 pmap.bug=no_remote" \
                   --expect fail --expect-line "stress: .*stale read on cpu"
# User mode (test/user/, built with musl-gcc): the test programs as boot
# modules, run as processes at once; each must exit 0 and no page may
# leak (sys/kern/kern_userboot.c).
u=$top/build/user
utests="$u/ut_syscalls $u/ut_signals $u/ut_threads $u/ut_exit"
boot user-smp1     --smp 1 --modules "$utests" \
                   --cmdline "test=none run=ut_syscalls,ut_signals,ut_threads:2000,ut_exit"
boot user-smp2     --smp 2 --modules "$utests" \
                   --cmdline "test=none run=ut_syscalls,ut_signals,ut_threads:2000,ut_exit"
boot user-smp8     --smp 8 --modules "$utests" \
                   --cmdline "test=none run=ut_syscalls,ut_signals,ut_threads,ut_exit"
boot user-pc       --machine pc --smp 4 --modules "$utests" \
                   --cmdline "test=none run=ut_syscalls,ut_signals,ut_threads:2000,ut_exit"
# The user workload under the TLB sanitizer (conf/TLBSAN): every user
# page-table change, shootdown and frame free checked against SDM 4.10.
boot user-tlbsan   --smp 4 --elf "$top/build/TLBSAN/kernel.elf" --modules "$utests $u/ut_vmrace" \
                   --cmdline "test=none tlbsan=1 run=ut_syscalls,ut_signals,ut_threads:500,ut_exit,ut_vmrace:2"
# Use after free of a proc or futex waiter under conf/DEBUG (freed
# kmalloc memory poisoned and checked): the whole user workload.
boot user-debug    --smp 8 --elf "$top/build/DEBUG/kernel.elf" \
                   --modules "$utests $u/ut_vmrace $u/ut_fuzz" \
                   --cmdline "test=usermode run=ut_syscalls,ut_signals,ut_threads:3000,ut_exit,ut_vmrace:2,ut_fuzz:2"
# -icount (QEMU 7.2's round-robin slices): tlbbench's main thread polls
# with sched_yield on CPU 0 while its spinner starts on CPU 1, and only
# the PAUSE in sched_yield (kern_syscall.c) ends CPU 0's slice so that
# CPU 1 runs at all; without it (sched.yield_nopause=1) the run hangs.
boot user-icount-yield --smp 2 --icount --modules "$u/tlbbench" \
                   --cmdline "test=none run=tlbbench:1:10:shootdown_1page"
boot user-icount-nopause --smp 2 --icount --modules "$u/tlbbench" \
                   --cmdline "test=none run=tlbbench:1:10:shootdown_1page sched.yield_nopause=1 user.timeout=5" \
                   --expect fail --expect-line "user: pid [0-9]+ \(tlbbench\) still running after 5 s"
# A kernel without options KTEST runs user programs too (mi_main).
boot user-minimal  --smp 2 --elf "$top/build/MINIMAL/kernel.elf" \
                   --modules "$u/ut_syscalls" --cmdline "run=ut_syscalls"
# FPU state not switched (fault injection): ut_threads' per-thread
# floating-point results and rounding modes must come out wrong.
boot user-fpu-noswitch --smp 2 --modules "$u/ut_threads" \
                   --cmdline "test=none run=ut_threads:100 user.fpu_noswitch=1" \
                   --expect fail --expect-line "not ok [0-9]+ t_fpu"
# Static-PIE executables (ET_DYN): loaded at 0x555555554000, relocate
# themselves from AT_PHDR.
boot user-pie      --smp 2 --modules "$u/ut_signals_pie $u/ut_syscalls_pie" \
                   --cmdline "test=none run=ut_signals_pie,ut_syscalls_pie"
# 64 threads alive at once in 128 MiB (ut_threads' t_64_threads).
boot user-128M     --smp 8 --mem 128M --modules "$u/ut_threads" \
                   --cmdline "test=none run=ut_threads:1000"
# No handler: the kernel kills the process with one line, status 139.
boot user-segv-kill --smp 2 --modules "$u/ut_segv" --cmdline "test=none run=ut_segv" \
                   --expect fail \
                   --expect-line "killed by signal 11: rip 0x[0-9a-f]+, address 0, write \(not mapped\)"
# A truncated executable is refused with a message, not a crash.
boot user-bad-elf  --smp 2 --modules "$u/bad_truncated" \
                   --cmdline "test=none run=bad_truncated" --expect fail \
                   --expect-line "bad_truncated: cannot run: truncated"
# Out of memory: mmap succeeds, the fault that finds no page kills the
# process with a message; the kernel goes on (and gets every page back).
boot user-oom      --smp 2 --mem 64M --modules "$u/ut_oom" --cmdline "test=none run=ut_oom" \
                   --expect fail --expect-line "killed by signal 9: .*\(out of memory\)"
# Faults racing munmap/mmap/mprotect/madvise of the same range on 8 CPUs;
# with vm_fault's lock dropped on purpose, pages end up mapped outside
# the map: the invariant check or the page count must see it.
boot user-vmrace   --smp 8 --modules "$u/ut_vmrace" --cmdline "test=none run=ut_vmrace:3"
boot user-vmrace-nolock --smp 8 --modules "$u/ut_vmrace" \
                   --cmdline "test=none run=ut_vmrace:3 vm.fault_nolock=1" \
                   --expect fail --expect-line "user: leak:|vm: invariant broken"
# Random system calls on 8 CPUs: no panic, exit 0, nothing leaked.
boot user-fuzz     --smp 8 --modules "$u/ut_fuzz" --cmdline "test=none run=ut_fuzz:3"
# A page leaked on purpose must fail the leak check (proves it can).
boot user-leak-inject --smp 2 --modules "$u/ut_exit" \
                   --cmdline "test=none run=ut_exit vm.leak_inject=1" \
                   --expect fail --expect-line "user: leak: 1 pages not returned"
# With SMEP/SMAP left off, the kernel can read and run user pages: the
# usermode suite must see it (proves the test can fail).
boot user-smap-off --smp 2 --cmdline "test=usermode user.smap_off=1" \
                   --expect fail --expect-line "not ok 1 usermode_smap_smep"
# ---------------------------------------------------------------------

if [[ ${BOOT_LIST:-0} == 1 ]]; then
	printf '%s\n' "${names[@]}"
	exit 0
fi

# Which configurations: arguments, else BOOT_TESTS, else all.
wanted=("$@")
if [[ ${#wanted[@]} -eq 0 && -n ${BOOT_TESTS:-} ]]; then
	IFS=, read -ra wanted <<<"$BOOT_TESTS"
fi
selected=()
if [[ ${#wanted[@]} -eq 0 ]]; then
	selected=("${!names[@]}")
else
	for w in "${wanted[@]}"; do
		found=""
		for i in "${!names[@]}"; do
			[[ ${names[i]} != "$w" ]] || found=$i
		done
		if [[ -z $found ]]; then
			echo "boot-tests: no configuration '$w'; have: ${names[*]}" >&2
			exit 2
		fi
		selected+=("$found")
	done
fi

elf=${BOOT_ELF:-$top/build/${KERNCONF:-GENERIC}/kernel.elf}
if [[ ! -f $elf ]]; then
	echo "boot-tests: no kernel at $elf (run make all first)" >&2
	exit 2
fi

# shellcheck source=test/lib/ktap.sh
source "$top/test/lib/ktap.sh"
start=$SECONDS

echo "KTAP version 1"
echo "1..${#selected[@]}"
n=0
for i in "${selected[@]}"; do
	n=$((n + 1))
	name=${names[i]}
	eval "row=(${rows[i]})" # safe: each word was quoted with printf %q
	# Rows may override the kernel (--elf) and the timeout.
	args=("${defaults[@]}" --elf "$elf" --timeout "${BOOT_TIMEOUT:-120}"
		"${row[@]}" --name "$name" --index "$n")

	# Pass run-qemu.sh's output through as it comes, holding back one
	# line so its last line (the boot's summary) can be kept out.
	prev="" have_prev=0 status=0
	while IFS= read -r line; do
		[[ $have_prev -eq 0 ]] || printf '%s\n' "$prev"
		prev=$line
		have_prev=1
	done < <("$top/test/run-qemu.sh" "${args[@]}" 2>&1)
	# $! is the process substitution; run-qemu.sh exits 0 (ok), 1 (not
	# ok) or anything else when it broke (bad option, missing tool).
	wait "$!" || status=$?
	if [[ $status -le 1 ]] && ktap_parse "$prev"; then
		ktap_add "$ktap_p" "$ktap_f" "$ktap_s"
	else
		[[ $have_prev -eq 0 ]] || printf '%s\n' "$prev"
		echo "not ok $n $name # run-qemu.sh broke (exit status $status)"
		ktap_add 0 1
	fi
done

echo "# boot-tests: ${#selected[@]} boots in $((SECONDS - start)) s"
ktap_total
