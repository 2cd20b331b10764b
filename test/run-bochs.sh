#!/usr/bin/env bash
# Boot the kernel once in Bochs and judge the run; one KTAP test result.
#
#   test/run-bochs.sh [options]
#     --name NAME           test name and file prefix (default: bochs)
#     --index N             KTAP test number for the result line (default 1)
#     --cpus N              CPUs (default 4)
#     --apic xapic|x2apic   local APIC mode the CPUs offer (default xapic)
#     --cmdline "K=V ..."   kernel command line (default "test=all")
#     --elf FILE            kernel (default build/$KERNCONF/kernel.elf)
#     --script FILE         debugger commands to run when a magic breakpoint
#                           stops the guest (bochs.break=SITE in --cmdline)
#     --break SITE          add bochs.break=SITE to the command line and
#                           judge by the stop instead of the closing line
#     --timeout SECONDS     wall-clock limit for the whole run (default 180)
#     --interactive         set everything up, then run Bochs with its
#                           debugger on this terminal; nothing is judged
#   Each option can also come from the environment as BOCHS_<OPTION> in
#   upper case (BOCHS_CPUS=2, BOCHS_APIC=x2apic); a flag wins.
#
# Files, all under build/bochs/: NAME.bochsrc (conf/bochsrc.in filled in),
# NAME.iso (tools/mkiso.sh, cached), NAME.rc (the debugger script),
# NAME.sym (kernel symbols for the debugger's `ldsym`), NAME.serial.log
# (COM1: the kernel's console), NAME.bochs.log (Bochs's own log),
# NAME.debugger.log (every debugger command and its output),
# NAME.stdout.log (port 0xE9 console copy and debugger output).
#
# The debugger script: Bochs always stops in its debugger before the
# first instruction, so the script loads the symbols and begins with `c`.
# When a magic breakpoint stops the guest, Bochs reads the next lines:
# those of --script (blank lines dropped: Bochs repeats the previous
# command on one), then a final `c` unless the script already ends by
# continuing or quitting.  A stop with no script lines left reads stdin,
# which is /dev/null: Bochs exits, and the run fails on its serial log.
#
# Judging (test/lib/ktap.py, the same rule as test/run-qemu.sh): Bochs
# exits with status 1 on the guest's shutdown request and on its own
# panics (a triple fault) alike, so the "expected exit" is its log's
# "shutdown requested" line.  PASS iff that line is there, the serial log
# has the closing line "N passed, 0 failed" (", N skipped" optional), no
# "panic:" line, and Bochs ended before the timeout.  With --break SITE
# the closing line and the shutdown are not required (a script that
# inspects and quits never lets the kernel finish); the kernel's "debug:
# magic breakpoint 'SITE'" line is, and a closing line, if one comes,
# must still say 0 failed.  A failure prints the last 40 serial lines as
# "# " diagnostics.
#
# Output (stdout): the serial log as a nested KTAP subtest (indented two
# spaces; lines that are not KTAP become "# " diagnostics), then
# "ok N NAME" or "not ok N NAME # reason", diagnostics, and as the very
# last line "N passed, N failed": the kernel's own counts plus 1 failed
# when the run itself failed (plus 1 passed for a --break run that
# stopped as asked).  Exit status: 0 if ok, 1 if not, 2 on a
# usage error.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
	sed -n '2,/^#   upper case/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

name=${BOCHS_NAME:-bochs}
index=${BOCHS_INDEX:-1}
cpus=${BOCHS_CPUS:-4}
apic=${BOCHS_APIC:-xapic}
cmdline=${BOCHS_CMDLINE-test=all}
elf=${BOCHS_ELF:-}
script=${BOCHS_SCRIPT:-}
break_site=${BOCHS_BREAK:-}
timeout_s=${BOCHS_TIMEOUT:-180}
interactive=${BOCHS_INTERACTIVE:-0}

# Flags: "--opt VALUE" or "--opt=VALUE" (test/lib/flags.sh).
flags_prog=run-bochs
# shellcheck source=test/lib/flags.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/flags.sh"
while [[ $# -gt 0 ]]; do
	flag_begin "$1"
	case $opt in
	--name) need "$@"; name=$val ;;
	--index) need "$@"; index=$val ;;
	--cpus) need "$@"; cpus=$val ;;
	--apic) need "$@"; apic=$val ;;
	--cmdline) need "$@"; cmdline=$val ;;
	--elf) need "$@"; elf=$val ;;
	--script) need "$@"; script=$val ;;
	--break) need "$@"; break_site=$val ;;
	--timeout) need "$@"; timeout_s=$val ;;
	--interactive) interactive=1 ;;
	-h | --help) usage ;;
	*) echo "run-bochs: unknown option $1" >&2; usage ;;
	esac
	shift "$shift_by"
done

die_usage() {
	echo "run-bochs: $*" >&2
	exit 2
}
[[ $name =~ ^[A-Za-z0-9._+-]+$ ]] ||
	die_usage "--name may use only A-Z a-z 0-9 . _ + -"
[[ $index =~ ^[0-9]+$ && $timeout_s =~ ^[0-9]+$ ]] ||
	die_usage "--index and --timeout take whole numbers"
# xAPIC IDs are 8 bits with 255 the broadcast ID: Bochs allows 254 CPUs.
[[ $cpus =~ ^[0-9]+$ && $cpus -ge 1 && $cpus -le 254 ]] ||
	die_usage "--cpus must be 1..254"
[[ $apic == xapic || $apic == x2apic ]] ||
	die_usage "--apic must be xapic or x2apic"
[[ -z $script || -f $script ]] || die_usage "no such script: $script"
[[ -z $break_site || $break_site =~ ^[a-z0-9_]+$ ]] ||
	die_usage "--break takes a site name such as smp, test or panic"
[[ -z $break_site ]] || cmdline+="${cmdline:+ }bochs.break=$break_site"
elf=${elf:-$top/build/${KERNCONF:-GENERIC}/kernel.elf}
[[ -f $elf ]] || die_usage "no such kernel: $elf (run make first)"
command -v bochs >/dev/null 2>&1 ||
	die_usage "bochs is not installed (tools/deps.sh bochs)"

out=$top/build/bochs
mkdir -p "$out"
rc=$out/$name.bochsrc
iso=$out/$name.iso
dbgscript=$out/$name.rc
sym=$out/$name.sym
serial=$out/$name.serial.log
blog=$out/$name.bochs.log
dlog=$out/$name.debugger.log
stdout_log=$out/$name.stdout.log

# The configuration: conf/bochsrc.in with its placeholders replaced by
# plain string substitution (no sed: a path may hold any character).
render_rc() {
	local t
	t=$(<"$top/conf/bochsrc.in")
	t=${t//@CPUS@/$cpus}
	t=${t//@APIC@/$apic}
	t=${t//@ISO@/$iso}
	t=${t//@SERIAL_LOG@/$serial}
	t=${t//@BOCHS_LOG@/$blog}
	if [[ $t == *@[A-Z_]*@* ]]; then
		echo "run-bochs: conf/bochsrc.in has an unknown placeholder" >&2
		exit 2
	fi
	printf '%s\n' "$t" >"$rc"
}
render_rc

# Symbols for the debugger ("0xADDRESS name" lines for `ldsym`): one name
# per address, a function's rather than an object's rather than an
# assembly label's.  Linker-script markers (_text_start, __start_set_*,
# *_start, *_end) are left out: they share addresses with real code and
# would show up in Bochs's "(name+offset)" annotations instead.
readelf -sW "$elf" | awk '
	$7 == "ABS" || $7 == "UND" || $2 == "0000000000000000" { next }
	$4 == "FUNC" { r = 3 }
	$4 == "OBJECT" { r = 2 }
	$4 == "NOTYPE" { r = ($8 ~ /^_|_start$|_end$/) ? 0 : 1 }
	$4 != "FUNC" && $4 != "OBJECT" && $4 != "NOTYPE" { next }
	r > 0 && r > rank[$2] { rank[$2] = r; name[$2] = $8 }
	END { for (a in name) print "0x" a, name[a] }' | sort >"$sym"

"$top/tools/mkiso.sh" "$elf" "$cmdline" "$iso"

# The debugger script (see the header comment).
{
	printf 'ldsym global "%s"\n' "$sym"
	if [[ $interactive -eq 0 ]]; then
		echo c
		last=c
		if [[ -n $script ]]; then
			while IFS= read -r line || [[ -n $line ]]; do
				line=${line#"${line%%[![:space:]]*}"}
				[[ -n $line && $line != \#* ]] || continue
				printf '%s\n' "$line"
				last=$line
			done <"$script"
		fi
		case ${last%% *} in
		c | cont | continue | q | quit | exit) ;;
		*) echo c ;;
		esac
	fi
} >"$dbgscript"

rm -f "$serial" "$blog" "$dlog" "$stdout_log"

if [[ $interactive -eq 1 ]]; then
	echo "run-bochs: $cpus CPU(s), $apic, cmdline: $cmdline"
	echo "run-bochs: serial console -> $serial (tail -f it in another terminal);"
	echo "run-bochs: the port 0xE9 copy of the console appears here."
	echo "run-bochs: symbols are loaded; type c to boot, Ctrl-C to stop, q to quit."
	status=0
	bochs -q -f "$rc" -rc "$dbgscript" -dbglog "$dlog" || status=$?
	# Bochs exits 1 when the guest powers off through port 0x8900:
	# that is the normal end of a session, not an error.
	if [[ $status -eq 1 ]] && grep -q "Shutdown port: shutdown requested" "$blog" 2>/dev/null; then
		status=0
	fi
	echo "run-bochs: Bochs exited ($status); serial log $serial, Bochs log $blog"
	exit "$status"
fi

bochs_cmd=(bochs -q -f "$rc" -rc "$dbgscript" -dbglog "$dlog")
printf '  # %s: %s CPUs, %s, cmdline: %s\n' "$name" "$cpus" "$apic" "$cmdline"
printf '  # %s: %s </dev/null\n' "$name" "${bochs_cmd[*]}"

bpid=""
cleanup() {
	# timeout(1) puts Bochs in its own process group, out of reach of
	# the terminal's ^C: stop it ourselves.
	[[ -z $bpid ]] || kill "$bpid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

t0=$SECONDS
status=0
timeout --kill-after=5 "$timeout_s" "${bochs_cmd[@]}" </dev/null \
	>"$stdout_log" 2>"$out/$name.stderr.log" &
bpid=$!
wait "$bpid" || status=$?
bpid=""
wall=$((SECONDS - t0))

# The serial log, cleaned and shown as the nested subtest, then the
# verdict and the run's closing line: test/lib/ktap.py, shared with
# test/run-qemu.sh.  A missing log is an empty one.
ktap=$top/test/lib/ktap.py
/usr/bin/python3 "$ktap" scan --state "$out/$name.state" \
	${break_site:+--break-site "$break_site"} \
	<"$(if [[ -f $serial ]]; then echo "$serial"; else echo /dev/null; fi)"
diags=("wall $wall s, Bochs exit status $status (1 = guest shutdown or a Bochs panic)"
	"logs $serial $blog $dlog")
if [[ -n $script ]]; then
	# The debugger's answers to --script, after the first stop.
	diags+=("debugger session (from $dlog):")
	while IFS= read -r line; do
		diags+=("| $line")
	done < <(sed -n '/^c$/,$p' "$dlog" 2>/dev/null | sed -n '2,200p')
fi
dargs=()
for d in "${diags[@]}"; do
	dargs+=(--diag "$d")
done
/usr/bin/python3 "$ktap" verdict --runner bochs --state "$out/$name.state" \
	--status "$status" --name "$name" --index "$index" --timeout "$timeout_s" \
	--bochs-log "$blog" --also-log "$stdout_log" \
	${break_site:+--break-site "$break_site"} "${dargs[@]}"
