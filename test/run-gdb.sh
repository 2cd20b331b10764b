#!/usr/bin/env bash
# Test the gdb helpers (tools/gdb/pcoherence.py) and tools/gdb.sh against
# a real boot: QEMU -smp 2 stopped at reset, gdb in batch mode.
#
#   test/run-gdb.sh [--elf FILE] [--timeout SECONDS]
#
# Environment: KERNCONF (default GENERIC), GDB_TEST_TIMEOUT (default 120),
# GDB_PORT (default: a free port from 20000 up; 1234 is left for make gdb).
#
# The session, in two stops:
#   1. hbreak mi_startup (the boot CPU is on its per-CPU window, the APs
#      are not started): percpu 0, ptwalk of CPU 0's window, of its guard
#      page and of kernel text, and a physical read at the address the
#      window walk found.
#   2. hbreak ktest_run_selected (every CPU online, threads running):
#      percpu 1, percpu in thread 2 (CPU 1, found from its GS base),
#      threads, ipiq.
# Each gdb command runs inside a Python wrapper that prints "@@@ CMD"
# before its output and "@@@ error: ..." if it failed, so one failing
# command does not end the batch (plain gdb -batch stops at the first
# error) and every check below still gets judged.
#
# Output: KTAP version 1, one "ok N name" per check (failures carry the
# reason and, as diagnostics, the output of the command concerned), and
# as the last line "N passed, N failed".  The full session is in
# build/gdb/run-gdb.log.  Exit status 0 iff nothing failed.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
elf=$top/build/${KERNCONF:-GENERIC}/kernel.elf
timeout_s=${GDB_TEST_TIMEOUT:-120}
while [[ $# -gt 0 ]]; do
	case $1 in
	--elf) elf=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	*)
		sed -n '2,/^# GDB_PORT/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
		exit 2
		;;
	esac
done
[[ -f $elf ]] || { echo "run-gdb: no such kernel: $elf (run make)" >&2; exit 2; }
for c in gdb qemu-system-x86_64; do
	command -v "$c" >/dev/null 2>&1 ||
		{ echo "run-gdb: $c is not installed (tools/deps.sh qemu gdb)" >&2; exit 2; }
done

out=$top/build/gdb
mkdir -p "$out"
iso=$out/run-gdb.iso
log=$out/run-gdb.log
cmds=$out/run-gdb.py
"$top/tools/mkiso.sh" "$elf" "test=all" "$iso"

# A free port: never 1234 (a developer's make gdb may be on it).
port=${GDB_PORT:-}
if [[ -z $port ]]; then
	for ((p = 20000 + $$ % 1000; p < 30000; p += 7)); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			port=$p
			break
		fi
	done
fi

WINDOW0=0xffffff8000000000
WINDOW1=0xffffff8000010000
GUARD0=0xffffff8000001000 # page 1 of CPU 0's window: an unmapped guard

cat >"$cmds" <<EOF
import gdb

def run(cmd):
    gdb.write("@@@ %s\n" % cmd)
    try:
        gdb.write(gdb.execute(cmd, to_string=True))
    except Exception as e:
        gdb.write("@@@ error: %s\n" % e)
    gdb.flush()

def physcheck(va):
    # Read 8 bytes at VA, and at the physical address ptwalk found for it
    # (QEMU's physical mode): the walk is right only if they agree.
    gdb.write("@@@ physcheck %#x\n" % va)
    try:
        walk = gdb.execute("ptwalk %#x" % va, to_string=True)
        pa = int(walk.split("-> pa ")[1].split()[0], 16)
        inf = gdb.selected_inferior()
        v = bytes(inf.read_memory(va, 8))
        gdb.execute("maint packet Qqemu.PhyMemMode:1", to_string=True)
        try:
            p = bytes(inf.read_memory(pa, 8))
        finally:
            gdb.execute("maint packet Qqemu.PhyMemMode:0", to_string=True)
        gdb.write("virtual %s physical %s at pa %#x\n" % (v.hex(), p.hex(), pa))
    except Exception as e:
        gdb.write("@@@ error: %s\n" % e)

run("hbreak mi_startup")
run("continue")
run("percpu 0")
run("ptwalk $WINDOW0")
run("ptwalk $GUARD0")
run("ptwalk mi_startup")
physcheck($WINDOW0)
run("delete")
run("hbreak ktest_run_selected")
run("continue")
run("percpu 1")
run("thread 2")
run("percpu")
run("thread 1")
run("threads")
run("ipiq")
run("kill")
EOF

qemu_args="-M q35 -cpu max -smp 2 -m 512M -no-reboot -display none"
qemu_args+=" -monitor none -net none -device isa-debug-exit,iobase=0xf4,iosize=0x04"
t0=$SECONDS
status=0
GDB_PORT=$port GDB_BATCH=$cmds GDB_SERIAL=$out/run-gdb.serial.log \
	timeout --kill-after=5 "$timeout_s" \
	"$top/tools/gdb.sh" "$elf" "$iso" "$qemu_args" >"$log" 2>&1 || status=$?
wall=$((SECONDS - t0))

# The output of command CMD ("@@@ CMD" up to the next "@@@ " line that
# is not an error report).
section() {
	awk -v want="@@@ $1" '
		$0 == want { on = 1; next }
		on && /^@@@ / && !/^@@@ error:/ { on = 0 }
		on { print }' "$log"
}

n=0 pass=0 fail=0
check() { # check NAME SECTION-TEXT REASON-IF-FAILED (empty: passed)
	n=$((n + 1))
	if [[ -z $3 ]]; then
		echo "ok $n $1"
		pass=$((pass + 1))
	else
		echo "not ok $n $1 # $3"
		fail=$((fail + 1))
		[[ -z $2 ]] || printf '%s\n' "$2" | head -n 20 | sed 's/^/# | /'
	fi
}
has() { grep -qF -- "$2" <<<"$1"; }
has_re() { grep -qE -- "$2" <<<"$1"; }
# The flags of the last entry of a walk ("  PTE [..] @pa .. = ..  P G").
last_flags() { grep -E '^  (PML4E|PDPE|PDE|PTE) ' <<<"$1" | tail -n 1 | sed 's/.* = 0x[0-9a-f]*  //'; }
flag() { [[ " $1 " == *" $2 "* ]]; }

echo "KTAP version 1"
echo "# run-gdb: QEMU -smp 2, gdbstub port $port, log $log"
echo "1..12"

s=$(section continue | head -n 5)
why=""
has "$s" "mi_startup" || why="did not stop in mi_startup"
check stop-mi_startup "$s" "$why"

s=$(section "percpu 0")
why=""
if has "$s" "@@@ error"; then why="percpu failed"
elif ! has "$s" "gd_self = $WINDOW0"; then why="no gd_self = $WINDOW0"
elif ! has_re "$s" "gd_cpuid = 0[,}]"; then why="no gd_cpuid = 0"
fi
check percpu0 "$s" "$why"

s=$(section "ptwalk $WINDOW0")
f=$(last_flags "$s")
why=""
if ! has "$s" "(4K page)"; then why="window not mapped by a 4K page"
elif ! flag "$f" P || ! flag "$f" RW || ! flag "$f" NX; then why="PTE flags '$f', want P RW .. NX"
fi
check ptwalk-window "$s" "$why"

s=$(section "ptwalk $GUARD0")
why=""
has "$s" "-> not mapped (PTE not present)" || why="guard page should not be mapped"
check ptwalk-guard "$s" "$why"

s=$(section "ptwalk mi_startup")
f=$(last_flags "$s")
why=""
if ! has "$s" "-> pa "; then why="kernel text not mapped"
elif flag "$f" NX; then why="text page has NX ('$f')"
elif flag "$f" RW; then why="text page is writable ('$f')"
elif ! has "$s" "(4K page)"; then why="text not mapped by a 4K page"
fi
check ptwalk-text "$s" "$why"

s=$(section "physcheck $WINDOW0")
why=""
if has "$s" "@@@ error"; then why="physical read failed"
elif ! has_re "$s" '^virtual ([0-9a-f]{16}) physical \1 '; then why="virtual and physical contents differ"
elif ! has "$s" "virtual 0000000080ffffff"; then why="the window does not start with gd_self"
fi
check ptwalk-agrees-with-memory "$s" "$why"

s=$(section continue | sed -n '/ktest_run_selected/,$p' | head -n 5)
[[ -n $s ]] || s=$(awk '/^@@@ hbreak ktest_run_selected/{on=1} on' "$log" | head -n 8)
why=""
has "$s" "ktest_run_selected" || why="did not stop in ktest_run_selected"
check stop-ktest "$s" "$why"

s=$(section "percpu 1")
why=""
if has "$s" "@@@ error"; then why="percpu 1 failed"
elif ! has "$s" "gd_self = $WINDOW1"; then why="no gd_self = $WINDOW1"
elif ! has_re "$s" "gd_cpuid = 1[,}]"; then why="no gd_cpuid = 1"
fi
check percpu1 "$s" "$why"

s=$(section percpu)
why=""
has "$s" "cpu 1 (GS base $WINDOW1)" || why="thread 2 not recognised as CPU 1 by its GS base"
check percpu-current-thread "$s" "$why"

s=$(section threads)
why=""
if has "$s" "@@@ error"; then why="threads failed"
elif ! has_re "$s" '^cpu 0: curthread 0x' || ! has_re "$s" '^cpu 1: curthread 0x'; then
	why="want a curthread line for CPUs 0 and 1"
fi
check threads "$s" "$why"

s=$(section ipiq)
why=""
if has "$s" "@@@ error"; then why="ipiq failed"
elif ! has "$s" "not available yet" && ! has_re "$s" '^ +1 +0 '; then
	why="no queue from CPU 0 to CPU 1 listed"
fi
check ipiq "$s" "$why"

why=""
if [[ $status -eq 124 || $status -eq 137 ]]; then
	why="timeout after $timeout_s s"
elif has "$(cat "$log")" "Traceback"; then
	why="Python traceback in the session"
fi
check session-clean "$(tail -n 20 "$log")" "$why"

echo "# run-gdb: wall $wall s, exit status $status"
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
