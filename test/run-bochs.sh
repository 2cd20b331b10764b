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
# Judging (the serial log only: Bochs exits with status 1 on the guest's
# shutdown request whatever happened): PASS iff the log has the closing
# line "N passed, 0 failed" (", N skipped" optional), no "panic:" line,
# and Bochs ended before the timeout.  With --break SITE the closing line
# is not required (a script that inspects and quits never lets the kernel
# finish); the kernel's "debug: magic breakpoint 'SITE'" line is, and a
# closing line, if one comes, must still say 0 failed.  A failure prints
# the last 40 serial lines as "# " diagnostics.
#
# Output (stdout): the serial log as a nested KTAP subtest (indented two
# spaces; lines that are not KTAP become "# " diagnostics), then
# "ok N NAME" or "not ok N NAME # reason", diagnostics, and as the very
# last line "N passed, N failed": the kernel's own counts plus 1 failed
# when the run itself failed.  Exit status: 0 if ok, 1 if not, 2 on a
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

# Strip what GRUB's terminal code and the serial line leave in the log:
# carriage returns, ANSI escape sequences, other control characters.
shopt -s extglob
clean_line() {
	local s=${1//$'\t'/ }
	s=${s//$'\e'\[*([0-9;?])[A-Za-z@]/}
	s=${s//$'\e'?/}
	s=${s//[[:cntrl:]]/}
	s=${s%%+([[:space:]])}
	REPLY=$s
}

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

closing_re='^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$'
ktap_re='^(KTAP version [0-9]+|TAP version [0-9]+|[0-9]+\.\.[0-9]+|(not )?ok [0-9]+|#|[[:space:]])'

lines=()
closing=""
panic_line=""
break_seen=0
ktap_state=0 # 0 before the kernel's "KTAP version", 1 inside, 2 after
if [[ -f $serial ]]; then
	while IFS= read -r raw || [[ -n $raw ]]; do
		clean_line "$raw"
		line=$REPLY
		[[ -n $line ]] || continue
		lines+=("$line")
		if [[ $line =~ $closing_re ]]; then
			closing=$line
			ktap_state=2
		fi
		[[ -n $panic_line || ! $line =~ ^panic: ]] || panic_line=$line
		[[ -z $break_site ||
			$line != "debug: magic breakpoint '$break_site'" ]] ||
			break_seen=1
		[[ $ktap_state -ne 0 || ! $line =~ ^KTAP\ version ]] || ktap_state=1
		if [[ $ktap_state -eq 1 && $line =~ $ktap_re ]]; then
			printf '  %s\n' "$line"
		else
			printf '  # %s\n' "$line"
		fi
	done <"$serial"
fi

# The last bytes before a stop may still sit in the emulated UART when a
# script quits at the breakpoint; the port 0xE9 copy on Bochs's stdout is
# written at once, so look there too.
if [[ -n $break_site && $break_seen -eq 0 ]] &&
	grep -qF "debug: magic breakpoint '$break_site'" "$stdout_log" 2>/dev/null; then
	break_seen=1
fi

k_pass=0 k_fail=0 k_skip=0
if [[ $closing =~ $closing_re ]]; then
	k_pass=${BASH_REMATCH[1]}
	k_fail=${BASH_REMATCH[2]}
	k_skip=${BASH_REMATCH[4]:-0}
fi

reason=""
if [[ $status -eq 124 || $status -eq 137 ]]; then
	reason="timeout after ${timeout_s} s"
elif [[ -n $panic_line ]]; then
	reason=$panic_line
elif [[ ! -s $serial ]]; then
	reason="no serial output (Bochs exit status $status)"
elif [[ -n $break_site && $break_seen -eq 0 ]]; then
	reason="magic breakpoint '$break_site' never reached"
elif [[ -z $break_site && -z $closing ]]; then
	reason="missing closing line 'N passed, N failed'"
elif [[ $k_fail -ne 0 ]]; then
	reason="$k_fail in-kernel test(s) failed"
fi
if [[ -n $panic_line && $reason != "$panic_line" ]]; then
	reason+=" after $panic_line"
fi

if [[ -z $reason ]]; then
	echo "ok $index $name"
else
	echo "not ok $index $name # $reason"
fi
echo "# $name: wall $wall s, Bochs exit status $status (1 = guest shutdown)"
echo "# $name: logs $serial $blog $dlog"
# Why Bochs stopped, from its log ("Shutdown port: shutdown requested",
# a triple fault, a panic): the last PANIC/ERROR line says it.
why=$(grep -E '^[0-9]+[pe]\[' "$blog" 2>/dev/null | tail -n 1 || true)
why=${why#*]}
why=${why/>>PANIC<< /}
[[ -z $why ]] || echo "# $name: Bochs stopped:${why}"
if [[ -n $script ]]; then
	# The debugger's answers to --script, after the first stop.
	echo "# $name: debugger session (from $dlog):"
	sed -n '/^c$/,$p' "$dlog" 2>/dev/null | sed -n '2,200p' | sed 's/^/# | /'
fi
if [[ -n $reason ]]; then
	echo "# $name: last serial lines:"
	start=$((${#lines[@]} > 40 ? ${#lines[@]} - 40 : 0))
	for line in "${lines[@]:start}"; do
		echo "# | $line"
	done
fi

p=$k_pass
f=$((k_fail + (${#reason} > 0 && k_fail == 0 ? 1 : 0)))
# A --break run counts the stop itself as one test.
[[ -z $break_site || -n $reason ]] || p=$((p + 1))
if [[ $k_skip -gt 0 ]]; then
	echo "$p passed, $f failed, $k_skip skipped"
else
	echo "$p passed, $f failed"
fi
[[ -z $reason ]]
