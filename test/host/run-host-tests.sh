#!/usr/bin/env bash
# run-host-tests.sh: build and run every host test (sys/**/*_htest.c)
# under its sanitizer, re-emit each program's KTAP as a nested subtest,
# and end with one summed "N passed, N failed" line.
#
# A test foo_htest.c links with foo.c (when it exists beside it),
# sys/kern/subr_prf.c, test/host/host_support.c, and the sources listed
# in a "/* HTEST_SRCS: ... */" line.  "/* HTEST_SAN: thread */" selects
# ThreadSanitizer instead of ASan+UBSan; "/* HTEST_CFLAGS: ... */" adds
# flags.  Binaries are cached under build/host and rebuilt when any
# source or header is newer.
#
# HTEST_PRINT_COMMANDS=1 builds and runs nothing: for each test it prints
# "@ SOURCE..." and then the compiler and its flags, one argument a line
# (tools/compiledb.py turns that into compile_commands.json entries).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=build/host
mkdir -p "$out"
CC=${CC:-gcc}
# <cpu/...> and <machine/...> resolve through two links, as in the kernel
# build (see the Makefile), so MD pure code such as multiboot.c builds too.
mkdir -p "$out/include"
ln -sfn "$PWD/sys/cpu/x86_64/include" "$out/include/cpu"
ln -sfn "$PWD/sys/platform/pc64/include" "$out/include/machine"
base_flags=(-std=gnu11 -g -O1 -DKERNEL_HOST -Isys -Isys/cpu/x86_64
	-I"$out/include" -Itest/host -Wall -Wextra -Werror -Wundef -Wshadow -pthread)

directive() { # directive FILE NAME: the text after "NAME:" in FILE
	sed -n "s|.*/\* $2: \(.*\) \*/.*|\1|p" "$1" | head -n 1
}

mapfile -t tests < <(find sys -name '*_htest.c' | sort)
[ ${#tests[@]} -gt 0 ] || { echo "no host tests found" >&2; exit 1; }
print_commands=${HTEST_PRINT_COMMANDS:-}
if [ -z "$print_commands" ]; then
	echo "KTAP version 1"
	echo "1..${#tests[@]}"
fi
# shellcheck source=test/lib/ktap.sh
source test/lib/ktap.sh
n=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=$(basename "$t" .c)
	bin=$out/$name
	srcs=("$t")
	impl=${t%_htest.c}.c
	extra=$(directive "$t" HTEST_SRCS)
	if [ -z "$extra" ] && [ -f "$impl" ] && ! grep -q "#include \"$(basename "$impl")\"" "$t"; then
		srcs+=("$impl")
	fi
	for s in $extra; do
		case " ${srcs[*]} " in *" $s "*) ;; *) srcs+=("$s") ;; esac
	done
	case " ${srcs[*]} " in *" sys/kern/subr_prf.c "*) ;; *) srcs+=(sys/kern/subr_prf.c) ;; esac
	srcs+=(test/host/host_support.c)
	san=$(directive "$t" HTEST_SAN)
	if [ "$san" = thread ]; then
		sflags=(-fsanitize=thread)
	else
		# shellcheck disable=SC2054 # one flag with a comma in it
		sflags=(-fsanitize=address,undefined -fno-sanitize-recover=all)
	fi
	read -r -a cflags <<<"$(directive "$t" HTEST_CFLAGS)"
	if [ -n "$print_commands" ]; then
		printf '@ %s\n' "${srcs[*]}"
		printf '%s\n' "$CC" "${base_flags[@]}" "${sflags[@]}" "${cflags[@]+"${cflags[@]}"}"
		continue
	fi
	# Rebuild when any source, or any header under sys/ or test/, is newer.
	if [ ! -x "$bin" ] || [ -n "$(find "${srcs[@]}" sys test/host -newer "$bin" -name '*.[ch]' -print -quit)" ]; then
		if ! "$CC" "${base_flags[@]}" "${sflags[@]}" "${cflags[@]+"${cflags[@]}"}" "${srcs[@]}" -o "$bin" 2>"$bin.err"; then
			echo "not ok $n $name # build failed"
			sed 's/^/  # /' "$bin.err" | head -n 40
			ktap_add 0 1
			continue
		fi
	fi
	log=$bin.log
	status=0
	"$bin" >"$log" 2>&1 || status=$?
	sed 's/^/  /' "$log"
	line=$(grep -E "$ktap_closing_re" "$log" | tail -n 1 || true)
	if ! ktap_parse "$line"; then
		echo "not ok $n $name # no closing line (exit status $status)"
		ktap_add 0 1
		continue
	fi
	p=$ktap_p f=$ktap_f
	if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # a crash or sanitizer report after the closing line
	fi
	ktap_add "$p" "$f" 0
	if [ "$f" -eq 0 ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name # $f failed (exit status $status)"
	fi
done
[ -n "$print_commands" ] || ktap_total
