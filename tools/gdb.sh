#!/usr/bin/env bash
# Debug the kernel under QEMU with gdb:
#
#   tools/gdb.sh ELF ISO "QEMU_ARGS"          (make gdb calls it)
#
# Starts QEMU in the background, frozen before the first instruction
# (-S) with its gdbstub listening (-gdb tcp::PORT, i.e. -s when PORT is
# 1234), then gdb in the foreground with the kernel's symbols and the
# helpers in tools/gdb/pcoherence.py (percpu, ptwalk, threads, ipiq).
# QEMU is killed when gdb exits, however it exits.
#
# Environment:
#   GDB_PORT=N        gdbstub TCP port (default 1234)
#   GDB_STOP=SYMBOL   run to this function first (default hammer_time, the
#                     first C code, in 64-bit mode); empty: stay at the
#                     reset vector (real mode, see below)
#   GDB_SERIAL=FILE   where the kernel's serial console goes (default
#                     build/<conf>/gdb.serial.log): QEMU_ARGS' "-serial
#                     stdio" is replaced, because QEMU and gdb cannot both
#                     own the terminal
#   GDB_BATCH=FILE    run gdb -batch with this command file instead of
#                     interactively (what test/run-gdb.sh does)
#
# The 32-bit start and the switch to long mode.  The CPU starts in real
# mode, GRUB enters boot.S in 32-bit protected mode and boot.S switches to
# long mode.  qemu-system-x86_64's stub always describes the CPU as x86-64
# (64-bit registers in every mode) and the ELF is x86-64, so gdb stays
# consistent across the switch: no "Remote 'g' packet reply is too long".
# (That error is what you get when gdb believes the target is i386, e.g.
# with a 32-bit ELF or `set architecture i386`; the fix is `set
# architecture i386:x86-64` before `target remote`, which is done below
# anyway.)  What does go wrong before long mode:
#   - gdb disassembles 32-bit code as 64-bit (x/i in boot.S can lie: bytes
#     0x40-0x4f are REX prefixes to it); read boot.S with
#     `objdump -d -M i386 --start-address=0x200038 ELF` instead;
#   - in real mode $pc is IP without the CS base (gdb shows 0xfff0 for the
#     reset vector at 0xffff0);
#   - a software breakpoint on a kernel address is only safe where the
#     code is already mapped; QEMU's TCG matches breakpoints by address so
#     `break` happens to work, but `hbreak` (debug registers) works on any
#     accelerator, which is why the stop below uses `thbreak`.
# So the usual recipe, done here: set architecture i386:x86-64, target
# remote, thbreak hammer_time, continue; from there on everything is
# 64-bit and ordinary breakpoints work.
set -euo pipefail

if [[ $# -ne 3 ]]; then
	echo "usage: $0 ELF ISO \"QEMU_ARGS\"" >&2
	exit 2
fi
elf=$1
iso=$2
read -ra qargs <<<"$3"

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port=${GDB_PORT:-1234}
stop=${GDB_STOP-hammer_time}
serial=${GDB_SERIAL:-$(dirname "$elf")/gdb.serial.log}
batch=${GDB_BATCH:-}

[[ -f $elf ]] || { echo "gdb.sh: no such kernel: $elf" >&2; exit 2; }
[[ -f $iso ]] || { echo "gdb.sh: no such ISO: $iso" >&2; exit 2; }
[[ $port =~ ^[0-9]+$ ]] || { echo "gdb.sh: bad GDB_PORT" >&2; exit 2; }

# The serial console goes to a file (see GDB_SERIAL above).
args=()
for ((i = 0; i < ${#qargs[@]}; i++)); do
	if [[ ${qargs[i]} == -serial && $((i + 1)) -lt ${#qargs[@]} ]]; then
		i=$((i + 1))
		continue
	fi
	args+=("${qargs[i]}")
done
mkdir -p "$(dirname "$serial")"
: >"$serial"

# Someone else on the port would get our gdb connected to the wrong QEMU.
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
	echo "gdb.sh: port $port is in use; set GDB_PORT" >&2
	exit 1
fi

qemu_log=$(dirname "$serial")/gdb.qemu.log
# setsid: QEMU installs its own SIGINT handler (and quits on it), so it
# must not be in the terminal's foreground process group when ^C is
# pressed at the gdb prompt.
setsid qemu-system-x86_64 "${args[@]}" -serial "file:$serial" -cdrom "$iso" \
	-gdb "tcp:127.0.0.1:$port" -S </dev/null >"$qemu_log" 2>&1 &
qpid=$!
cleanup() {
	kill "$qpid" 2>/dev/null || true
	wait "$qpid" 2>/dev/null || true
}
trap cleanup EXIT
# ^C belongs to gdb (it interrupts the guest); the script must survive it
# to clean up.  A handler, not SIG_IGN, so gdb still gets the default.
trap : INT

# Wait (up to 10 s) for the stub to listen.
for ((i = 0; i < 100; i++)); do
	if ! kill -0 "$qpid" 2>/dev/null; then
		echo "gdb.sh: QEMU exited:" >&2
		cat "$qemu_log" >&2
		exit 1
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		break
	fi
	sleep 0.1
done

gdbargs=(-q -nx "$elf"
	-ex "set architecture i386:x86-64"
	-ex "target remote 127.0.0.1:$port"
	-x "$top/tools/gdb/pcoherence.py")
if [[ -n $batch ]]; then
	gdb -batch "${gdbargs[@]}" -x "$batch" </dev/null
	exit $?
fi
if [[ -n $stop ]]; then
	gdbargs+=(-ex "thbreak $stop" -ex "continue")
fi
echo "gdb.sh: QEMU pid $qpid, gdbstub 127.0.0.1:$port, serial console -> $serial"
gdb "${gdbargs[@]}"
