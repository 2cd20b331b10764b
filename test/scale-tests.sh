#!/usr/bin/env bash
# scale-tests.sh: boot large CPU counts and check every CPU came up
# (`make test-scale`; too slow for `make test` on a 2-core host).
#
#   test/scale-tests.sh [NCPUS...]     default: 16 64 128 255
#
# Each boot runs the smp suite (all CPUs online, one CR3, own GS base,
# cross-CPU globaldata reads, guard pages, windows) and must print
# "smp: all N CPUs online".  -M pc: q35 above 255 CPUs needs x2APIC,
# which TCG lacks (QEMU 7.2).  run-qemu.sh prints the wall
# time from QEMU start to that line.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
counts=("$@")
[[ ${#counts[@]} -gt 0 ]] || counts=(16 64 128 255)
elf=${BOOT_ELF:-$top/build/${KERNCONF:-GENERIC}/kernel.elf}

echo "KTAP version 1"
echo "1..${#counts[@]}"
# shellcheck source=test/lib/ktap.sh
source "$top/test/lib/ktap.sh"
n=0
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
	if ktap_parse "$last"; then
		ktap_add "$ktap_p" "$ktap_f" "$ktap_s"
	else
		printf '%s\n' "$last"
		ktap_add 0 1
	fi
done
ktap_total
