#!/usr/bin/env bash
# Prove the per-CPU layout from outside the kernel: stop Bochs at a magic
# breakpoint once every CPU is online and, with Bochs's own debugger, look
# at each CPU's registers and page-table walk.  One KTAP test with one
# subtest per check.
#
#   test/bochs-percpu.sh [options]
#     --cpus N              CPUs (default 4)
#     --apic xapic|x2apic   (default xapic)
#     --site SITE           magic-breakpoint site to stop at (default smp:
#                           mp_machdep.c, right after "smp: all N CPUs
#                           online"); any site reached with every CPU up
#                           works, the script does not depend on it
#     --cmdline "K=V ..."   more kernel options (default "test=none": the
#                           run quits at the breakpoint, tests never run)
#     --name NAME           (default bochs-percpu)
#     --index N             KTAP test number (default 1)
#     --timeout SECONDS     (default 150)
#     --elf FILE            kernel (default build/$KERNCONF/kernel.elf)
#   Environment: BOCHS_PERCPU_CPUS, BOCHS_PERCPU_SITE, BOCHS_PERCPU_APIC.
#
# conf/bochs-percpu.rc.in is the debugger script; its per-CPU block is
# repeated for CPUs 0..N-1 and test/run-bochs.sh runs it (--break SITE
# --script ...).  The debugger log it leaves is parsed here; the checks:
#   breakpoint      the guest stopped at SITE (run-bochs.sh's verdict)
#   cpuN            CPU N: GS base = 0xffffff8000000000 + N * 0x10000,
#                   `page` finds a present 4 KiB mapping for that window,
#                   gd_self there points at the window itself, and
#                   gd_cpuid there is N
#   same-cr3        every CPU runs on the one kernel PML4 (same CR3)
#   distinct-frames the windows map to N different physical pages
# The last line is "N passed, N failed" over these checks.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

cpus=${BOCHS_PERCPU_CPUS:-4}
apic=${BOCHS_PERCPU_APIC:-xapic}
site=${BOCHS_PERCPU_SITE:-smp}
cmdline="test=none"
name=bochs-percpu
index=1
timeout_s=150
elf=""

usage() {
	sed -n '2,/^#   Environment/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
while [[ $# -gt 0 ]]; do
	case $1 in
	--cpus) cpus=$2 ;;
	--apic) apic=$2 ;;
	--site) site=$2 ;;
	--cmdline) cmdline=$2 ;;
	--name) name=$2 ;;
	--index) index=$2 ;;
	--timeout) timeout_s=$2 ;;
	--elf) elf=$2 ;;
	-h | --help) usage ;;
	*) echo "bochs-percpu: unknown option $1" >&2; usage ;;
	esac
	[[ $# -ge 2 ]] || usage
	shift 2
done
[[ $cpus =~ ^[0-9]+$ && $cpus -ge 1 && $cpus -le 254 ]] ||
	{ echo "bochs-percpu: --cpus must be 1..254" >&2; exit 2; }
elf=${elf:-$top/build/${KERNCONF:-GENERIC}/kernel.elf}
[[ -f $elf ]] || { echo "bochs-percpu: no such kernel: $elf" >&2; exit 2; }

PRIVSPACE=0xffffff8000000000
PRIVSTRIDE=$((16 * 4096)) # NPRIVPAGES * PAGE_SIZE (machine/globaldata.h)

# offsetof(struct globaldata, gd_cpuid) from the kernel's DWARF, so a
# field added to the struct cannot silently shift what we read.  gdb is
# the only DWARF reader we can count on; without it the check is skipped.
cpuid_off=""
if command -v gdb >/dev/null 2>&1; then
	# shellcheck disable=SC2016 # $1 is gdb's value history, not ours
	cpuid_off=$(gdb -q -batch -nx "$elf" \
	    -ex 'print/d (long)&((struct globaldata *)0)->gd_cpuid' 2>/dev/null |
	    sed -n 's/^\$1 = \([0-9][0-9]*\)$/\1/p')
fi

out=$top/build/bochs
mkdir -p "$out"
script=$out/$name.script

# Render the script: the header (comments) is dropped, the block between
# the markers is repeated per CPU, the tail is kept.
{
	state="head"
	block=()
	while IFS= read -r line || [[ -n $line ]]; do
		case $state:$line in
		head:'#CPU-BEGIN') state=block ;;
		head:*) ;;
		block:'#CPU-END')
			state="tail"
			for ((n = 0; n < cpus; n++)); do
				window=$(printf '0x%x' $((PRIVSPACE + n * PRIVSTRIDE)))
				for b in "${block[@]}"; do
					if [[ $b == *@CPUID_OFF@* && -z $cpuid_off ]]; then
						continue
					fi
					b=${b//@N@/$n}
					b=${b//@WINDOW@/$window}
					b=${b//@CPUID_OFF@/$cpuid_off}
					printf '%s\n' "$b"
				done
			done
			;;
		block:*) block+=("$line") ;;
		tail:*) printf '%s\n' "$line" ;;
		esac
	done <"$top/conf/bochs-percpu.rc.in"
	[[ $state == tail ]] || {
		echo "bochs-percpu: conf/bochs-percpu.rc.in lacks #CPU-BEGIN/#CPU-END" >&2
		exit 2
	}
} >"$script"

# Run it.  run-bochs.sh's own output becomes diagnostics here; its verdict
# is the first check.
run_out=$out/$name.run.txt
run_status=0
"$top/test/run-bochs.sh" --name "$name" --cpus "$cpus" --apic "$apic" \
	--cmdline "$cmdline" --break "$site" --script "$script" \
	--timeout "$timeout_s" --elf "$elf" >"$run_out" 2>&1 || run_status=$?
dlog=$out/$name.debugger.log

# Parse the debugger log: each command line is echoed, then its output.
declare -A gs cr3 frame pte_ok self cpuid
cur=-1
cmd=""
if [[ -f $dlog ]]; then
	while IFS= read -r line || [[ -n $line ]]; do
		line=${line%$'\r'}
		if [[ $line =~ ^set\ \$cpu\ =\ ([0-9]+)$ ]]; then
			cur=${BASH_REMATCH[1]}
			cmd="set"
			continue
		fi
		case $line in
		'show "cpu'*) cmd=gs; continue ;;
		creg) cmd=creg; continue ;;
		'page '*) cmd=page; continue ;;
		'x /1gx '*) cmd=self; continue ;;
		'x /1wx '*) cmd=cpuid; continue ;;
		quit) cmd=""; continue ;;
		esac
		[[ $cur -ge 0 ]] || continue
		case $cmd in
		gs)
			[[ ! $line =~ ^base\ =\ (0x[0-9a-fA-F]+) ]] ||
				gs[$cur]=${BASH_REMATCH[1]}
			;;
		creg)
			[[ ! $line =~ ^CR3=(0x[0-9a-fA-F]+) ]] ||
				cr3[$cur]=$((BASH_REMATCH[1]))
			;;
		page)
			if [[ $line =~ ^\ PTE:\ (0x[0-9a-fA-F]+) ]]; then
				pte_ok[$cur]=$(((BASH_REMATCH[1] & 1) == 1))
			elif [[ $line =~ maps\ to\ physical\ page\ (0x[0-9a-fA-F]+) ]]; then
				frame[$cur]=$((BASH_REMATCH[1]))
			fi
			;;
		self)
			[[ ! $line =~ :[[:space:]]+(0x[0-9a-fA-F]+) ]] ||
				self[$cur]=${BASH_REMATCH[1]}
			;;
		cpuid)
			[[ ! $line =~ :[[:space:]]+(0x[0-9a-fA-F]+) ]] ||
				cpuid[$cur]=$((BASH_REMATCH[1]))
			;;
		esac
	done <"$dlog"
fi

# The checks, as a nested KTAP subtest.
results=()   # "ok"/"not ok" lines
diags=()     # diagnostics printed after the result line
pass=0 fail=0
check() { # check NAME REASON (empty reason: pass)
	local n=$((${#results[@]} + 1))
	if [[ -z $2 ]]; then
		results+=("ok $n $1")
		pass=$((pass + 1))
	else
		results+=("not ok $n $1 # $2")
		fail=$((fail + 1))
	fi
}

if [[ $run_status -eq 0 ]]; then
	check breakpoint ""
else
	check breakpoint "$(sed -n 's/^not ok [0-9]* [^#]*# //p' "$run_out" | head -n 1)"
fi

hex() { printf '0x%x' "$1"; }
for ((n = 0; n < cpus; n++)); do
	want=$((PRIVSPACE + n * PRIVSTRIDE))
	why=""
	if [[ -z ${gs[$n]:-} ]]; then
		why="no GS base in the debugger log"
	elif ((gs[$n] != want)); then
		why="GS base ${gs[$n]}, expected $(hex "$want")"
		# A permutation (CPU N runs on another CPU's window) and a
		# CPU still in the BIOS (GS base 0) look different.
		((gs[$n] != 0)) || why+=" (CPU $n never reached the kernel?)"
	elif [[ -z ${frame[$n]:-} || ${pte_ok[$n]:-0} != 1 ]]; then
		why="window $(hex "$want") not mapped by a present 4 KiB PTE"
	elif [[ -z ${self[$n]:-} ]] || ((self[$n] != want)); then
		why="gd_self at $(hex "$want") is ${self[$n]:-unreadable}"
	elif [[ -n $cpuid_off ]] && [[ -z ${cpuid[$n]:-} || ${cpuid[$n]} -ne $n ]]; then
		why="gd_cpuid at $(hex "$want") is ${cpuid[$n]:-unreadable}"
	fi
	check "cpu$n" "$why"
	if [[ -n ${frame[$n]:-} ]]; then
		diags+=("cpu$n: GS base ${gs[$n]:-?}, CR3 $(hex "${cr3[$n]:-0}"), window $(hex "$want") -> pa $(hex "${frame[$n]}")${cpuid[$n]:+, gd_cpuid ${cpuid[$n]}}")
	fi
done

why=""
for ((n = 0; n < cpus; n++)); do
	if [[ -z ${cr3[$n]:-} ]]; then
		why="no CR3 for CPU $n"
		break
	elif ((cr3[$n] == 0 || cr3[$n] != cr3[0])); then
		why="CPU $n CR3 $(hex "${cr3[$n]}"), CPU 0 $(hex "${cr3[0]:-0}")"
		break
	fi
done
check same-cr3 "$why"

why=""
declare -A owner
for ((n = 0; n < cpus; n++)); do
	f=${frame[$n]:-}
	if [[ -z $f ]]; then
		why="CPU $n's window does not resolve"
		break
	elif [[ -n ${owner[$f]:-} ]]; then
		why="CPUs ${owner[$f]} and $n share frame $(hex "$f")"
		break
	fi
	owner[$f]=$n
done
check distinct-frames "$why"

# Output: the run's transcript as diagnostics (the debugger session only
# when something failed: the summary below has what matters), the nested
# subtest, the result line, the per-CPU summary, and the closing line.
if [[ $fail -eq 0 ]]; then
	grep -v '^# | ' "$run_out" | sed 's/^/  # /'
else
	sed 's/^/  # /' "$run_out"
fi
echo "  KTAP version 1"
echo "  # Subtest: $name"
echo "  1..${#results[@]}"
for r in "${results[@]}"; do
	echo "  $r"
done
if [[ $fail -eq 0 ]]; then
	echo "ok $index $name"
else
	echo "not ok $index $name # $fail of ${#results[@]} checks failed"
fi
echo "# $name: $cpus CPUs, $apic, stopped at '$site'; script $script"
[[ -n $cpuid_off ]] || echo "# $name: gdb not found: gd_cpuid not checked"
for d in "${diags[@]}"; do
	echo "# $name: $d"
done
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
