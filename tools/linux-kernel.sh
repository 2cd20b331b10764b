#!/usr/bin/env bash
# Fetch the Linux peer kernel: Debian's 6.1 cloud kernel
# (linux-image-cloud-amd64 and the linux-image-6.1.* package it depends
# on), with `apt-get download` into DIR (default build/linux), unpacked
# with dpkg-deb.  Nothing else is fetched.  Prints two lines:
#
#   vmlinuz PATH
#   version PACKAGE VERSION
#
#   tools/linux-kernel.sh [DIR]
#
# A second call finds the unpacked kernel and fetches nothing (delete DIR
# to fetch again).  apt-get runs under flock /tmp/pcoh-apt.lock (one
# apt-get at a time on a shared machine).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-$top/build/linux}
meta=linux-image-cloud-amd64
mkdir -p "$dir"
cd "$dir"

if [[ ! -s version.txt ]] || [[ -z $(find root/boot -name 'vmlinuz-*' 2>/dev/null) ]]; then
	"$top/tools/deps.sh" linux >&2
	# The metapackage names the real image package, e.g.
	# linux-image-6.1.0-57-cloud-amd64.
	pkg=$(apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1[^ ]*\)$/\1/p' | head -n 1)
	[[ -n $pkg ]] || {
		echo "linux-kernel: apt-cache knows no $meta depending on a" \
			"linux-image-6.1 package (is the Debian 12 archive in" \
			"sources.list? run apt-get update)" >&2
		exit 1
	}
	rm -rf root ./*.deb
	# apt-get download writes into the current directory.
	flock /tmp/pcoh-apt.lock apt-get download -q "$meta" "$pkg" >&2
	deb=$(find . -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)
	dpkg-deb -x "$deb" root
	ver=$(dpkg-deb -f "$deb" Version)
	echo "$pkg $ver" >version.txt
fi
vmlinuz=$(find "$dir/root/boot" -name 'vmlinuz-*' | sort | head -n 1)
echo "vmlinuz $vmlinuz"
echo "version $(cat version.txt)"
