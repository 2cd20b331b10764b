#!/usr/bin/env bash
# Drive the in-kernel debug console (console=interactive) through QEMU's
# serial port and check its answers; KTAP, one test per check.
#
#   test/run-console.sh
#
# Environment: CONSOLE_ELF (default build/$KERNCONF/kernel.elf, KERNCONF
# defaulting to GENERIC), CONSOLE_SMP (default 8), CONSOLE_TIMEOUT
# (seconds for the whole run, default 120; each answer gets 20 s).
#
# QEMU's COM1 is a pair of FIFOs (-chardev pipe: PATH.in is what the
# guest reads, PATH.out what it writes).  Everything the kernel writes is
# copied to the log (build/test-logs/console.log) as it comes; a command
# is typed only after the log holds one more "db> " prompt than before,
# and its answer is the text between that prompt and the next one.  The
# last check is `poweroff`, which must end QEMU with exit status 33.
#
# Output: KTAP version 1, the plan, "ok N name" / "not ok N name # why"
# (with the answer as diagnostics on failure), and as the last line
# "N passed, N failed".  Exit status 0 iff nothing failed.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
elf=${CONSOLE_ELF:-$top/build/${KERNCONF:-GENERIC}/kernel.elf}
smp=${CONSOLE_SMP:-8}
timeout_s=${CONSOLE_TIMEOUT:-120}
answer_s=20
log=$top/build/test-logs/console.log
cmdline="test=none console=interactive"

if [[ ! -f $elf ]]; then
	echo "run-console: no kernel at $elf (run make first)" >&2
	exit 2
fi
mkdir -p "$(dirname "$log")"
iso=$(dirname "$elf")/test-iso/console.iso
ISO_CACHE_DIR=$(dirname "$elf")/.iso-cache \
	"$top/tools/mkiso.sh" "$elf" "$cmdline" "$iso" || exit 2

tmp=$(mktemp -d)
qpid="" cpid=""
cleanup() {
	[[ -z $qpid ]] || kill "$qpid" 2>/dev/null || true
	[[ -z $cpid ]] || kill "$cpid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkfifo "$tmp/ser.in" "$tmp/ser.out"
: >"$log"

# shellcheck disable=SC2054 # the commas belong to QEMU option values
qemu=(qemu-system-x86_64 -M q35 -cpu max -smp "$smp" -m 512M
	-cdrom "$iso" -boot d -no-reboot -display none -monitor none
	-chardev "pipe,id=ser0,path=$tmp/ser" -serial chardev:ser0
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 -net none)
timeout --kill-after=5 "$timeout_s" "${qemu[@]}" </dev/null \
	>"$tmp/qemu.out" 2>&1 &
qpid=$!
# QEMU opens both FIFOs read-write, so neither side blocks on open.
exec 4<>"$tmp/ser.in"
# cat, not tr: it must not hold back a prompt that ends without newline.
cat <"$tmp/ser.out" >>"$log" &
cpid=$!

n=0 npass=0 nfail=0
results=() # "ok N name" lines, printed after the plan
diag=()

result() { # NAME OK(0/1) [WHY]
	n=$((n + 1))
	if [[ $2 -eq 0 ]]; then
		results+=("ok $n $1")
		npass=$((npass + 1))
	else
		results+=("not ok $n $1 # ${3:-}")
		nfail=$((nfail + 1))
		# The answer that failed, as diagnostics.
		while IFS= read -r l; do
			results+=("# | $l")
		done <<<"$answer"
	fi
}

prompts() { grep -o 'db> ' "$log" 2>/dev/null | wc -l; }

# Wait until the log holds at least $1 prompts; 1 on timeout/QEMU gone.
wait_prompts() {
	local end=$((SECONDS + answer_s))
	while [[ $(prompts) -lt $1 ]]; do
		kill -0 "$qpid" 2>/dev/null || return 1
		[[ $SECONDS -lt $end ]] || return 1
		sleep 0.1
	done
}

# The text after prompt number $1 up to the next one (echo included).
answer_of() {
	awk -v k="$1" 'BEGIN { RS = "db> " }
		NR == k + 1 { gsub(/\r/, ""); print; exit }' "$log"
}

# Type $1 (raw bytes, printf %b) and wait for the answer in $answer.
ask() {
	local before
	before=$(prompts)
	printf '%b\r' "$1" >&4
	if ! wait_prompts $((before + 1)); then
		answer="(no prompt within ${answer_s} s)"$'\n'"$(tail -n 20 "$log" | tr -d '\r')"
		return 1
	fi
	answer=$(answer_of "$before")
}

# check NAME INPUT REGEX...: every ERE must match some line of the answer.
check() {
	local name=$1 input=$2 re
	shift 2
	if ! ask "$input"; then
		result "$name" 1 "no answer"
		return
	fi
	for re in "$@"; do
		if ! grep -Eq -- "$re" <<<"$answer"; then
			result "$name" 1 "no line matched /$re/"
			return
		fi
	done
	result "$name" 0
}

answer=""
if wait_prompts 1; then
	result console-prompt 0
	answer=""
else
	answer=$(tail -n 40 "$log" | tr -d '\r')
	result console-prompt 1 "no 'db> ' prompt within ${answer_s} s"
fi

if [[ $nfail -eq 0 ]]; then
	check help "help" '^commands:' '^  help ' '^  cpus ' '^  threads ' \
		'^  counters ' '^  pmap VA ' '^  ipiq ' '^  stress NAME SECONDS ' \
		'^  bench ' '^  break ' '^  poweroff '
	if ask "cpus"; then
		rows=$(grep -Ec '^ +[0-9]+ +[0-9]+ +yes ' <<<"$answer")
		if grep -q "^$smp CPUs online" <<<"$answer" && [[ $rows -eq $smp ]]; then
			result cpus 0
		else
			result cpus 1 "want $smp CPUs online and $smp rows, got $rows rows"
		fi
	else
		result cpus 1 "no answer"
	fi
	check threads "threads" '^cpu 0: ' "^cpu $((smp - 1)): " \
		'^  main +pri +[0-9]+ +running' '^  idle1 ' \
		'^  pmapd1 +pri +16 +blocked'
	if grep -q "did not answer" <<<"$answer"; then
		result threads-all-answer 1 "a CPU did not answer"
	else
		result threads-all-answer 0
	fi
	check counters "counters" '^per-CPU counters:' 'shootdown' \
		"^ +$((smp - 1)) +[0-9]+"
	# A kernel text address: executable, read-only at the last level.
	text=$(nm "$elf" | awk '$3 == "hammer_time" { print $1 }')
	last_re='^  (PTE|PDE|PDPE) +0x[0-9a-f]+ V RO( [A-Z]+)* X$'
	check pmap-text "pmap 0x$text" "^walk 0x$text:" "$last_re" '-> pa 0x'
	pa0=$(grep -E -- '-> pa' <<<"$answer")
	check pmap-no-0x "pmap $text" "^walk 0x$text:" "$last_re"
	pa1=$(grep -E -- '-> pa' <<<"$answer")
	if [[ -n $pa0 && $pa0 == "$pa1" ]]; then
		result pmap-same-walk 0
	else
		result pmap-same-walk 1 "'$pa0' vs '$pa1'"
	fi
	check pmap-unmapped "pmap 0x1000" '-> not mapped'
	check pmap-bad-hex "pmap 0xfoo" "not a hex address" '^usage: pmap VA'
	check pmap-noncanonical "pmap 0x0000800000000000" "not a canonical"
	check pmap-no-arg "pmap" '^usage: pmap VA'
	check bad-command "frobnicate now" "unknown command 'frobnicate'" \
		'usage: COMMAND'
	check bad-args "cpus 1 2" '^usage: cpus$'
	check stress-bad-seconds "stress x 0" '^usage: stress NAME SECONDS'
	long=$(printf 'x%.0s' {1..400})
	check long-line "$long" '^line too long'
	# Control bytes, an arrow key's escape sequence, backspaces: "help".
	check control-chars 'h\001\002e\033[Alx\010p' '^commands:'
	check ctrl-u 'garbage\025help' '^commands:'
	check ipiq "ipiq" '^ +src>dst +windex +rindex +xindex' \
		'^ +[0-9]+>[0-9]+ +[0-9]+ ' '^[1-9][0-9]* CPU pairs? with traffic'
	check stress-unknown "stress none 1" "^stress: no scenario 'none'"
	check stress "stress kernel 1" '^stress: kernel 1 s: passed'
	check bench-list "bench" '^benchmarks:' '^  ipi_pingpong '
	check bench-unknown "bench nosuch" "^bench: no benchmark 'nosuch'"
	check break "break" "magic breakpoint 'console'"
	check still-alive "cpus" "^$smp CPUs online"
fi

# poweroff: QEMU must exit 33 (isa-debug-exit, success).
printf 'poweroff\r' >&4
status=0
wait "$qpid" || status=$?
qpid=""
sleep 0.2
answer=$(tail -n 5 "$log" | tr -d '\r')
if [[ $status -eq 33 ]]; then
	result poweroff 0
else
	result poweroff 1 "QEMU exit status $status, want 33"
fi

echo "KTAP version 1"
echo "1..$n"
echo "# run-console: ${qemu[*]}"
echo "# cmdline: $cmdline; log $log"
printf '%s\n' "${results[@]}"
echo "$npass passed, $nfail failed"
[[ $nfail -eq 0 ]]
