#!/usr/bin/env bash
# scale-tests.sh: boot large CPU counts and check every CPU came up
# (`make test-scale`; too slow for `make test` on a 2-core host).
#
#   test/scale-tests.sh [NCPUS...]     default: 16 64 128 255
#
# Each boot runs the smp suite (all CPUs online, one CR3, own GS base,
# cross-CPU globaldata reads, guard pages, windows) and must print
# "smp: all N CPUs online".  -M pc: q35 above 255 CPUs needs x2APIC,
# which TCG lacks (see shared/PLATFORM.md).  run-qemu.sh prints the wall
# time from QEMU start to that line.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
counts=("$@")
[[ ${#counts[@]} -gt 0 ]] || counts=(16 64 128 255)
elf=${BOOT_ELF:-$top/build/${KERNCONF:-GENERIC}/kernel.elf}

echo "KTAP version 1"
echo "1..${#counts[@]}"
closing_re='^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$'
pass=0 fail=0 skip=0 n=0
for c in "${counts[@]}"; do
	n=$((n + 1))
	# Per-CPU FIFOs for every CPU pair grow with the square of the count.
	mem=$((512 + c * c * 16 / 1024))M
	last=""
	while IFS= read -r line; do
		[[ -z $last ]] || printf '%s\n' "$last"
		last=$line
	done < <("$top/test/run-qemu.sh" --name "scale-smp$c" --index "$n" \
		--elf "$elf" --machine pc --smp "$c" --mem "$mem" \
		--cmdline "test=smp" --timeout 600 \
		--expect-line "smp: all $c CPUs online" 2>&1 || true)
	if [[ $last =~ $closing_re ]]; then
		pass=$((pass + BASH_REMATCH[1]))
		fail=$((fail + BASH_REMATCH[2]))
		skip=$((skip + ${BASH_REMATCH[4]:-0}))
	else
		printf '%s\n' "$last"
		fail=$((fail + 1))
	fi
done
if [[ $skip -gt 0 ]]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[[ $fail -eq 0 ]]
