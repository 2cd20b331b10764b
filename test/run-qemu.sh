#!/usr/bin/env bash
# Boot the kernel once in QEMU and judge the run; one KTAP test result.
#
#   test/run-qemu.sh [options]
#     --iso FILE            boot this ISO, or
#     --elf FILE            build an ISO from this kernel (tools/mkiso.sh,
#     --cmdline "K=V ..."   cached) with this command line
#                           (default: build/GENERIC/kernel.elf, "test=all")
#     --name NAME           test name (default: boot)
#     --index N             KTAP test number for the result line (default 1)
#     --machine q35|pc      (default q35)
#     --smp SPEC            passed to -smp verbatim, e.g. 6,sockets=2,cores=3
#     --mem SIZE            (default 512M)
#     --cpu MODEL           (default max: NX, 1 GiB pages, SMEP/SMAP ...)
#     --timeout SECONDS     wall-clock limit for the whole boot (default 120)
#     --expect pass|fail    what the kernel should report (default pass)
#     --expect-line REGEX   an ERE that some serial line must match
#     --log FILE            cleaned serial log (default build/test-logs/NAME.log)
#     --extra "ARGS"        more QEMU arguments (split on blanks; repeatable)
#     --modules "FILE..."   boot modules for the ISO (user programs)
#     --icount[=SPEC]       deterministic single-threaded TCG
#                           (-icount SPEC, default shift=4,sleep=off)
#     --kernel FILE         boot this kernel image directly (QEMU -kernel:
#     --initrd FILE         the Linux peer kernel, tools/bench-vs-linux.py)
#     --append "ARGS"       with this initrd and command line, instead of
#                           an ISO; every other QEMU argument is the same
#   Each option can also come from the environment as QEMU_<OPTION> in upper
#   case with - as _ (QEMU_SMP=4, QEMU_EXPECT_LINE=...); a flag wins.
#
# The kernel's protocol: KTAP on COM1, a closing line "N passed, N failed"
# (", N skipped" optional), then isa-debug-exit with 0x10 (QEMU exits 33)
# on success or 0x11 (exits 35) on failure or panic.  QEMU exits 0 on a
# triple fault under -no-reboot, so 0 is a failure, never a pass.
#
# The verdict is test/lib/ktap.py's, shared with test/run-bochs.sh:
# --expect pass passes only if QEMU exits 33 AND a closing line says
# 0 failed AND no "panic:" line was seen (AND --expect-line matched).
# --expect fail passes only if QEMU exits 35 (not 0, not a timeout) AND
# either --expect-line matched (when given) or, without it, the closing
# line counts at least one failure.
#
# Output (stdout): the kernel's serial lines as they arrive, re-emitted as
# a nested KTAP subtest (indented two spaces; lines that are not KTAP
# become "# " diagnostics so that the kernel's own closing line cannot be
# mistaken for ours), then "ok N NAME" or "not ok N NAME # reason" with
# diagnostics (boot timings; on failure the last 40 serial lines), and as
# the very last line this boot's "N passed, N failed": the kernel's
# in-kernel test counts, plus 1 failed if the boot itself failed; an
# expected failure that happened as expected counts 1 passed, 0 failed.
# Exit status: 0 if ok, 1 if not ok, 2 on a usage error.
#
# Timings are taken live: QEMU's serial port is a FIFO that ktap.py scan
# reads line by line, stamping each line when it arrives.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
	sed -n '2,/QEMU_EXPECT_LINE/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# Defaults, overridable from the environment.
iso=${QEMU_ISO:-}
elf=${QEMU_ELF:-}
cmdline=${QEMU_CMDLINE-test=all}
name=${QEMU_NAME:-boot}
index=${QEMU_INDEX:-1}
machine=${QEMU_MACHINE:-q35}
smp=${QEMU_SMP:-1}
mem=${QEMU_MEM:-512M}
# -cpu max boots as fast as qemu64 under TCG and has what the kernel wants
# (NX, 1 GiB pages); QEMU only warns about what TCG cannot emulate.
cpu=${QEMU_CPU:-max}
timeout_s=${QEMU_TIMEOUT:-120}
expect=${QEMU_EXPECT:-pass}
expect_line=${QEMU_EXPECT_LINE:-}
log=${QEMU_LOG:-}
extra=${QEMU_EXTRA:-}
icount=${QEMU_ICOUNT:-}
kernel=${QEMU_KERNEL:-}
initrd=${QEMU_INITRD:-}
append=${QEMU_APPEND:-}
modules=${QEMU_MODULES:-}

# Flags: "--opt VALUE" or "--opt=VALUE" (test/lib/flags.sh).
flags_prog=run-qemu
# shellcheck source=test/lib/flags.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/flags.sh"
while [[ $# -gt 0 ]]; do
	flag_begin "$1"
	case $opt in
	--iso) need "$@"; iso=$val ;;
	--elf) need "$@"; elf=$val ;;
	--cmdline) need "$@"; cmdline=$val ;;
	--name) need "$@"; name=$val ;;
	--index) need "$@"; index=$val ;;
	--machine) need "$@"; machine=$val ;;
	--smp) need "$@"; smp=$val ;;
	--mem) need "$@"; mem=$val ;;
	--cpu) need "$@"; cpu=$val ;;
	--timeout) need "$@"; timeout_s=$val ;;
	--expect) need "$@"; expect=$val ;;
	--expect-line) need "$@"; expect_line=$val ;;
	--log) need "$@"; log=$val ;;
	--extra) need "$@"; extra+="${extra:+ }$val" ;;
	--icount) icount=${val:-shift=4,sleep=off} ;;
	--kernel) need "$@"; kernel=$val ;;
	--initrd) need "$@"; initrd=$val ;;
	--append) need "$@"; append=$val ;;
	--modules) need "$@"; modules=$val ;;
	-h | --help) usage ;;
	*) echo "run-qemu: unknown option $1" >&2; usage ;;
	esac
	shift "$shift_by"
done

[[ $expect == pass || $expect == fail ]] ||
	{ echo "run-qemu: --expect must be pass or fail" >&2; exit 2; }
[[ $timeout_s =~ ^[0-9]+$ && $index =~ ^[0-9]+$ ]] ||
	{ echo "run-qemu: --timeout and --index take whole numbers" >&2; exit 2; }
[[ $name =~ ^[A-Za-z0-9._+-]+$ ]] ||
	{ echo "run-qemu: --name may use only A-Z a-z 0-9 . _ + -" >&2; exit 2; }
# The shared serial-log parser and verdict; a malformed --expect-line is
# caught now, not mid-run.
ktap=$top/test/lib/ktap.py
[[ -z $expect_line ]] || /usr/bin/python3 "$ktap" check-re "$expect_line" ||
	{ echo "run-qemu: fix --expect-line" >&2; exit 2; }
[[ -n $log ]] || log=$top/build/test-logs/$name.log
mkdir -p "$(dirname "$log")"

# The ISO: given, or built (and cached) from the kernel and command line;
# or no ISO at all for a directly loaded kernel.
if [[ -n $kernel ]]; then
	[[ -f $kernel ]] || { echo "run-qemu: no such kernel: $kernel" >&2; exit 2; }
	[[ -z $initrd || -f $initrd ]] ||
		{ echo "run-qemu: no such initrd: $initrd" >&2; exit 2; }
	cmdline=$append
	boot=(-kernel "$kernel" -append "$append")
	[[ -z $initrd ]] || boot+=(-initrd "$initrd")
elif [[ -z $iso ]]; then
	elf=${elf:-$top/build/${KERNCONF:-GENERIC}/kernel.elf}
	iso=$(dirname "$elf")/test-iso/$name.iso
	# One ISO cache per build directory, shared with `make`'s kernel.iso.
	ISO_CACHE_DIR=$(dirname "$elf")/.iso-cache MKISO_MODULES=$modules \
		"$top/tools/mkiso.sh" "$elf" "$cmdline" "$iso"
else
	cmdline="(whatever $iso was built with)"
fi
if [[ -z $kernel ]]; then
	[[ -f $iso ]] || { echo "run-qemu: no such ISO: $iso" >&2; exit 2; }
	boot=(-cdrom "$iso" -boot d)
fi

read -ra extra_args <<<"$extra"
# shellcheck disable=SC2054 # the commas belong to QEMU option values
qemu=(qemu-system-x86_64 -M "$machine" -cpu "$cpu" -smp "$smp" -m "$mem"
	"${boot[@]}" -no-reboot -display none -monitor none
	-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04
	# No default NIC: its option ROM slows the BIOS and we never use it.
	-net none)
[[ -z $icount ]] || qemu+=(-icount "$icount")
qemu+=("${extra_args[@]}")

# Scratch space: the FIFO QEMU's serial port writes into, QEMU's stderr.
tmp=$(mktemp -d)
qpid=""
cleanup() {
	# On an interrupt, stop QEMU too: `timeout` runs it in its own
	# process group, out of reach of the terminal's ^C.
	[[ -z $qpid ]] || kill "$qpid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkfifo "$tmp/serial"

# Microseconds since the epoch, in $REPLY (EPOCHREALTIME's decimal point
# depends on the locale, so keep the digits only).
now_us() { REPLY=${EPOCHREALTIME//[!0-9]/}; }
# Microseconds as seconds with two decimals.
secs() { printf '%d.%02d' $(($1 / 1000000)) $(($1 % 1000000 / 10000)); }

printf '  # %s: %s\n' "$name" "${qemu[*]}"
{
	printf '# run-qemu: %s\n' "${qemu[*]}"
	printf '# cmdline: %s\n' "$cmdline"
} >"$log"

now_us
t0=$REPLY
# --kill-after: a QEMU that ignores SIGTERM still goes.
timeout --kill-after=5 "$timeout_s" "${qemu[@]}" \
	<"/dev/null" >"$tmp/serial" 2>"$tmp/stderr" &
qpid=$!

# The serial lines as they arrive: cleaned into the log, stamped, shown
# as the nested subtest; what the verdict needs goes to $tmp/state.
/usr/bin/python3 "$ktap" scan --log "$log" --state "$tmp/state" --t0-us "$t0" \
	${expect_line:+--expect-line "$expect_line"} <"$tmp/serial"

status=0
wait "$qpid" || status=$?
qpid=""
now_us
t_end=$((REPLY - t0))

if [[ -s $tmp/stderr ]]; then
	{
		echo "# qemu stderr:"
		cat "$tmp/stderr"
	} >>"$log"
fi

# The verdict and the boot's closing line (test/lib/ktap.py).
/usr/bin/python3 "$ktap" verdict --runner qemu --state "$tmp/state" --status "$status" \
	--name "$name" --index "$index" --expect "$expect" \
	--timeout "$timeout_s" --stderr "$tmp/stderr" \
	${expect_line:+--expect-line "$expect_line"} \
	--diag "wall $(secs "$t_end") s, QEMU exit status $status, log $log"
