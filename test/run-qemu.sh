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
#   Each option can also come from the environment as QEMU_<OPTION> in upper
#   case with - as _ (QEMU_SMP=4, QEMU_EXPECT_LINE=...); a flag wins.
#
# The kernel's protocol: KTAP on COM1, a closing line "N passed, N failed"
# (", N skipped" optional), then isa-debug-exit with 0x10 (QEMU exits 33)
# on success or 0x11 (exits 35) on failure or panic.  QEMU exits 0 on a
# triple fault under -no-reboot, so 0 is a failure, never a pass.
#
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
# Timings are taken live: QEMU's serial port is a pipe read line by line in
# this shell, and each line is stamped with $EPOCHREALTIME when it arrives
# (bash and coreutils only; no python on CI).
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
# [[ =~ ]] returns 2 for a malformed regex; catch that now, not mid-run.
re_status=0
[[ "" =~ $expect_line ]] || re_status=$?
[[ $re_status -ne 2 ]] ||
	{ echo "run-qemu: bad --expect-line regex: $expect_line" >&2; exit 2; }
[[ -n $log ]] || log=$top/build/test-logs/$name.log
mkdir -p "$(dirname "$log")"

# The ISO: given, or built (and cached) from the kernel and command line.
if [[ -z $iso ]]; then
	elf=${elf:-$top/build/${KERNCONF:-GENERIC}/kernel.elf}
	iso=$(dirname "$elf")/test-iso/$name.iso
	# One ISO cache per build directory, shared with `make`'s kernel.iso.
	ISO_CACHE_DIR=$(dirname "$elf")/.iso-cache MKISO_MODULES=$modules \
		"$top/tools/mkiso.sh" "$elf" "$cmdline" "$iso"
else
	cmdline="(whatever $iso was built with)"
fi
[[ -f $iso ]] || { echo "run-qemu: no such ISO: $iso" >&2; exit 2; }

read -ra extra_args <<<"$extra"
# shellcheck disable=SC2054 # the commas belong to QEMU option values
qemu=(qemu-system-x86_64 -M "$machine" -cpu "$cpu" -smp "$smp" -m "$mem"
	-cdrom "$iso" -boot d -no-reboot -display none -monitor none
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
# depends on the locale, so keep the digits only).  No $(...): a fork per
# serial line would cost more than the line itself.
now_us() { REPLY=${EPOCHREALTIME//[!0-9]/}; }
# Microseconds as seconds with two decimals.
secs() { printf '%d.%02d' $(($1 / 1000000)) $(($1 % 1000000 / 10000)); }

# Strip what GRUB's terminal code and the serial line leave in the log:
# carriage returns, ANSI escape sequences, other control characters.
shopt -s extglob
clean_line() {
	local s=${1//$'\t'/ }
	s=${s//$'\e'\[*([0-9;?])[A-Za-z@]/}
	s=${s//$'\e'?/}
	s=${s//[[:cntrl:]]/}
	# Drop trailing blanks so "N passed, N failed " still matches.
	s=${s%%+([[:space:]])}
	REPLY=$s
}

closing_re='^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$'
online_re='smp: all [0-9]+ CPUs online'
ktap_re='^(KTAP version [0-9]+|TAP version [0-9]+|[0-9]+\.\.[0-9]+|(not )?ok [0-9]+|#|[[:space:]])'
# Not the kernel yet: blank lines and GRUB's own messages.
grub_re='^[[:space:]]*$|^[[:space:]]*Booting `|GNU GRUB|Welcome to GRUB|^error: |Press any key'

printf '  # %s: %s\n' "$name" "${qemu[*]}"
{
	printf '# run-qemu: %s\n' "${qemu[*]}"
	printf '# cmdline: %s\n' "$cmdline"
} >"$log"

# Keep the log open: one open() per run, not per line.
exec 3>>"$log"
now_us
t0=$REPLY
# --kill-after: a QEMU that ignores SIGTERM still goes.
timeout --kill-after=5 "$timeout_s" "${qemu[@]}" \
	<"/dev/null" >"$tmp/serial" 2>"$tmp/stderr" &
qpid=$!

lines=()          # cleaned serial lines, for the failure diagnostics
t_first=""        # when the first kernel line arrived (us since t0)
t_online=""       # when "smp: all N CPUs online" arrived
closing=""        # the kernel's last closing line
panic_line=""     # the first "panic: ..." line
expect_seen=0     # whether --expect-line matched
ktap_started=0    # 0 before the kernel's "KTAP version" line, 1 in
                  # its KTAP, 2 after its closing line
while IFS= read -r raw || [[ -n $raw ]]; do
	clean_line "$raw"
	line=$REPLY
	[[ -n $line ]] || continue
	now_us
	now=$((REPLY - t0))
	lines+=("$line")
	printf '%s\n' "$line" >&3
	if [[ -z $t_first && ! $line =~ $grub_re ]]; then
		t_first=$now
	fi
	[[ -n $t_online || ! $line =~ $online_re ]] || t_online=$now
	if [[ $line =~ $closing_re ]]; then
		closing=$line
		# The closing line ends the kernel's KTAP; what follows
		# (statistics, shutdown messages) is diagnostics.
		ktap_started=2
	fi
	[[ -n $panic_line || ! $line =~ ^panic: ]] || panic_line=$line
	if [[ -n $expect_line && $line =~ $expect_line ]]; then
		expect_seen=1
	fi
	# Re-emit as part of the nested subtest: KTAP lines as they are
	# once the kernel's KTAP has begun, everything else (GRUB, boot
	# messages, the kernel's closing line) as diagnostics.
	[[ $ktap_started -ne 0 || ! $line =~ ^KTAP\ version ]] || ktap_started=1
	if [[ $ktap_started -eq 1 && $line =~ $ktap_re ]]; then
		printf '  %s\n' "$line"
	else
		printf '  # %s\n' "$line"
	fi
done <"$tmp/serial"

status=0
wait "$qpid" || status=$?
qpid=""
now_us
t_end=$((REPLY - t0))

if [[ -s $tmp/stderr ]]; then
	echo "# qemu stderr:" >&3
	cat "$tmp/stderr" >&3
fi
exec 3>&-

# The kernel's own counts, from its closing line (none: 0 and 0).
k_pass=0 k_fail=0 k_skip=0
if [[ $closing =~ $closing_re ]]; then
	k_pass=${BASH_REMATCH[1]}
	k_fail=${BASH_REMATCH[2]}
	k_skip=${BASH_REMATCH[4]:-0}
fi

# Judge.  `reason` stays empty when the run is as expected.
reason=""
timed_out=0
# timeout(1) exits 124 when it stopped QEMU, 137 when it had to kill it.
[[ $status -ne 124 && $status -ne 137 ]] || timed_out=1
if [[ $expect == pass ]]; then
	if [[ $timed_out -eq 1 ]]; then
		reason="timeout after ${timeout_s} s"
	elif [[ $status -eq 0 ]]; then
		reason="triple fault or reset (QEMU exit status 0)"
	elif [[ -n $panic_line ]]; then
		reason="$panic_line"
	elif [[ $status -eq 1 && -s $tmp/stderr ]]; then
		reason="QEMU failed: $(head -n 1 "$tmp/stderr")"
	elif [[ -z $closing ]]; then
		reason="missing closing line 'N passed, N failed' (QEMU exit status $status)"
	elif [[ $k_fail -ne 0 ]]; then
		reason="$k_fail in-kernel test(s) failed"
	elif [[ $status -eq 35 ]]; then
		reason="kernel reported failure (QEMU exit status 35) but 0 tests failed"
	elif [[ $status -ne 33 ]]; then
		reason="unexpected exit status $status"
	elif [[ -n $expect_line && $expect_seen -eq 0 ]]; then
		reason="no line matched /$expect_line/"
	fi
	# A panic also explains a timeout or a triple fault that followed it.
	if [[ -n $panic_line && $reason != "$panic_line" ]]; then
		reason+=" after $panic_line"
	fi
else
	if [[ $timed_out -eq 1 ]]; then
		reason="timeout after ${timeout_s} s (expected a reported failure)"
	elif [[ $status -eq 0 ]]; then
		reason="triple fault or reset (QEMU exit status 0), expected a reported failure"
	elif [[ $status -eq 1 && -s $tmp/stderr ]]; then
		reason="QEMU failed: $(head -n 1 "$tmp/stderr")"
	elif [[ $status -eq 33 ]]; then
		reason="kernel reported success, expected failure"
	elif [[ $status -ne 35 ]]; then
		reason="unexpected exit status $status"
	elif [[ -n $expect_line ]]; then
		[[ $expect_seen -eq 1 ]] || reason="no line matched /$expect_line/"
	elif [[ $k_fail -eq 0 ]]; then
		reason="exit status 35 but no closing line with failures"
	fi
fi

# Result line, then diagnostics.
if [[ -z $reason ]]; then
	echo "ok $index $name"
else
	echo "not ok $index $name # $reason"
fi
[[ -z $t_first ]] || echo "# $name: boot-to-first-line $(secs "$t_first") s"
[[ -z $t_online ]] || echo "# $name: boot-to-online $(secs "$t_online") s"
echo "# $name: wall $(secs "$t_end") s, QEMU exit status $status, log $log"
if [[ $expect == fail && -z $reason ]]; then
	echo "# $name: failed as expected (${expect_line:+line /$expect_line/ seen, }${closing:-no closing line})"
fi
if [[ -n $reason ]]; then
	echo "# $name: last serial lines:"
	start=$((${#lines[@]} > 40 ? ${#lines[@]} - 40 : 0))
	for line in "${lines[@]:start}"; do
		echo "# | $line"
	done
	if [[ -s $tmp/stderr ]]; then
		echo "# $name: qemu stderr:"
		head -n 20 "$tmp/stderr" | sed 's/^/# | /'
	fi
fi

# The machine summary: the last line.
if [[ $expect == fail ]]; then
	if [[ -z $reason ]]; then p=1 f=0; else p=0 f=1; fi
	k_skip=0
else
	p=$k_pass
	f=$((k_fail + (${#reason} > 0 ? 1 : 0)))
fi
if [[ $k_skip -gt 0 ]]; then
	echo "$p passed, $f failed, $k_skip skipped"
else
	echo "$p passed, $f failed"
fi
[[ -z $reason ]]
