#!/usr/bin/env bash
# Install the Debian packages a task needs, and only those that are missing.
#
#   tools/deps.sh GROUP...      GROUP: build qemu bochs host python console
#                                      plot gdb format shellcheck model linux
#
# A fresh machine (CI included) has none of the tools this project builds
# and boots with, so every entry point that needs one calls this first
# (`make test` installs every group it runs).  Host tooling in Python uses
# Debian's interpreter, /usr/bin/python3, and Debian's modules (python3-*).  It is quiet when
# nothing is missing, so calling it on every run costs ~50 ms.
#
# A group is "present" only if every package is installed according to
# dpkg *and* every key command runs: a package name alone can lie (a
# removed-but-not-purged package, a command shadowed on PATH), and a
# command alone can lie too (grub-mkrescue exists without grub-pc-bin, but
# then builds an ISO that does not boot; without mtools it fails with
# "mformat invocation failed").
#
# Installing needs root: as root apt-get runs directly, otherwise through
# `sudo -n` (never prompts: CI has no terminal); if neither works, the
# exact command to run is printed and the script exits 1.
set -euo pipefail

usage() {
	echo "usage: $0 GROUP..." >&2
	echo "groups: build qemu bochs host python console plot gdb format shellcheck model linux" >&2
	exit 2
}

# Packages, key commands and key Python modules per group.  Keep the
# lists in step.
group_packages() {
	case $1 in
	build) echo gcc make binutils grub-pc-bin grub-common xorriso mtools musl-tools ;;
	qemu) echo qemu-system-x86 ;;
	bochs) echo bochs bochsbios vgabios bochs-term ;;
	host) echo gcc ;;
	python) echo python3 ;;
	console) echo python3 python3-pexpect ;;
	plot) echo python3 python3-matplotlib ;;
	gdb) echo gdb ;;
	format) echo clang-format ;;
	shellcheck) echo shellcheck ;;
	model) echo spin gcc ;;
	# The Linux peer boot: musl-gcc for its init and programs, apt-get
	# download and dpkg-deb for Debian's kernel package.
	linux) echo musl-tools apt dpkg ;;
	*) return 1 ;;
	esac
}
group_commands() {
	case $1 in
	build) echo gcc make ld objcopy grub-mkrescue xorriso mformat musl-gcc ;;
	qemu) echo qemu-system-x86_64 ;;
	bochs) echo bochs ;;
	host) echo gcc ;;
	python | console | plot) echo /usr/bin/python3 ;;
	gdb) echo gdb ;;
	format) echo clang-format ;;
	shellcheck) echo shellcheck ;;
	model) echo spin gcc ;;
	linux) echo musl-gcc apt-get dpkg-deb ;;
	*) return 1 ;;
	esac
}
# Modules Debian's python3 must import (a pyenv or venv python3 first on
# PATH does not see them, hence the absolute path everywhere).
group_modules() {
	case $1 in
	console) echo pexpect ;;
	plot) echo matplotlib ;;
	esac
}
module_works() {
	/usr/bin/python3 -c "import $1" >/dev/null 2>&1
}

# True if dpkg says PKG is fully installed (not just unpacked or removed).
pkg_installed() {
	local status
	status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
	[[ $status == "install ok installed" ]]
}

# True if gcc can build and link programs with the sanitizers the host
# tests use.  The runtime libraries (libasan, libubsan, libtsan) come with
# libgcc-N-dev, which a minimal gcc install may lack; linking is the only
# reliable test.  We only link, not run: whether TSan runs also depends on
# the host kernel's ASLR settings, which no package fixes.
sanitizers_work() {
	local dir rc=0
	command -v gcc >/dev/null 2>&1 || return 1
	dir=$(mktemp -d)
	printf 'int main(void) { return 0; }\n' >"$dir/t.c"
	gcc -fsanitize=thread -o "$dir/t-tsan" "$dir/t.c" >/dev/null 2>&1 || rc=1
	gcc -fsanitize=address,undefined -o "$dir/t-asan" "$dir/t.c" \
	    >/dev/null 2>&1 || rc=1
	rm -rf "$dir"
	return "$rc"
}

# The package that carries gcc's sanitizer runtimes for the installed gcc
# (gcc 12 -> libgcc-12-dev, which pulls libasan8, libubsan1, libtsan2).
sanitizer_package() {
	echo "libgcc-$(gcc -dumpversion | cut -d. -f1)-dev"
}

# How to run a command as root here: directly, via `sudo -n` (never
# prompts: CI has no terminal), or not at all (empty).
root_prefix() {
	if [[ $(id -u) -eq 0 ]]; then
		echo root
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		echo sudo
	fi
}

APT_UPDATED=0
apt_install() {
	local how sudo=()
	how=$(root_prefix)
	if [[ -z $how ]]; then
		echo "deps: missing packages: $*; need root to install them. Run:" >&2
		echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive" \
		    "apt-get install -y --no-install-recommends $*" >&2
		exit 1
	fi
	[[ $how == sudo ]] && sudo=(sudo -n)
	echo "deps: installing $*"
	# The package lists on a fresh machine are empty or stale: refresh
	# them once per run, before the first install.
	if [[ $APT_UPDATED -eq 0 ]]; then
		"${sudo[@]}" apt-get update -qq
		APT_UPDATED=1
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends "$@"
}

[[ $# -gt 0 ]] || usage

# Collect what is missing across all groups, so one apt-get call installs
# everything (apt-get is slow to start; one call is faster than several).
# A command missing although its packages are installed means a broken
# installation; reinstalling the group's packages is the fix for that too.
missing=()
check_cmds=()
check_mods=()
for group in "$@"; do
	pkgs=$(group_packages "$group") || {
		echo "deps: unknown group '$group'" >&2
		usage
	}
	cmds=$(group_commands "$group")
	for pkg in $pkgs; do
		pkg_installed "$pkg" || missing+=("$pkg")
	done
	for cmd in $cmds; do
		check_cmds+=("$cmd")
		if ! command -v "$cmd" >/dev/null 2>&1; then
			# shellcheck disable=SC2206 # package names have no spaces
			missing+=($pkgs)
		fi
	done
	for mod in $(group_modules "$group"); do
		check_mods+=("$mod")
		if ! module_works "$mod"; then
			# shellcheck disable=SC2206 # package names have no spaces
			missing+=($pkgs)
		fi
	done
done

if [[ ${#missing[@]} -gt 0 ]]; then
	# Drop duplicates but keep the order (groups share gcc).
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
	apt_install "${missing[@]}"
fi

# The host group also needs the sanitizer runtimes; they are checked by
# linking (see sanitizers_work) and installed only when that fails.
for group in "$@"; do
	[[ $group == host ]] || continue
	if ! sanitizers_work; then
		apt_install "$(sanitizer_package)"
		if ! sanitizers_work; then
			echo "deps: gcc still cannot link -fsanitize=thread or" \
			    "-fsanitize=address,undefined programs" >&2
			exit 1
		fi
	fi
done

# Every key command must now exist; say which one does not if not.
for cmd in "${check_cmds[@]}"; do
	if ! command -v "$cmd" >/dev/null 2>&1; then
		echo "deps: '$cmd' is still missing after installing packages" >&2
		exit 1
	fi
done
for mod in "${check_mods[@]}"; do
	if ! module_works "$mod"; then
		echo "deps: /usr/bin/python3 still cannot import $mod after installing packages" >&2
		exit 1
	fi
done
