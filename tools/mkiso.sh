#!/usr/bin/env bash
# Build a bootable GRUB (BIOS) ISO that boots ELF with kernel command line
# CMDLINE:
#
#   tools/mkiso.sh ELF CMDLINE OUT.iso
#
# MKISO_MODULES="FILE..." adds each FILE as a multiboot2 module named by
# its basename (`module2 /boot/NAME NAME`): the user programs that
# run=NAME starts.
#
# The test runner calls this once per boot configuration, so it is made
# cheap: ISOs are cached by the hash of everything that goes into them
# (kernel bytes, rendered grub.cfg, this script's grub-mkrescue options), in
# ISO_CACHE_DIR (default: a .iso-cache directory beside OUT.iso).  A cache
# hit costs one hash of the kernel and a hard link.
#
# OUT.iso appears atomically (written elsewhere, then renamed), so a reader
# never sees half an ISO, and a failed build leaves the old one in place.
# grub-mkrescue's chatter is shown only if it fails.
set -euo pipefail

die() {
	echo "mkiso: $*" >&2
	exit 1
}

[[ $# -eq 3 ]] || {
	echo "usage: $0 ELF CMDLINE OUT.iso" >&2
	exit 2
}
elf=$1
cmdline=$2
out=$3

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
template=${GRUB_CFG_IN:-$top/conf/grub.cfg.in}
# BIOS platform only: QEMU and Bochs boot through SeaBIOS/BIOS, and
# leaving out EFI (should grub-efi be installed) makes the ISO smaller and
# quicker to build.
grub_dir=/usr/lib/grub/i386-pc
# Only the modules grub.cfg uses; fewer modules, smaller ISO, faster build.
# Add one here when grub.cfg.in starts using a new command.
grub_modules="normal multiboot2 serial terminal boot echo test sleep"
mkrescue_opts=(-d "$grub_dir" --install-modules="$grub_modules"
	--locales= --fonts= --themes=)

[[ -f $elf ]] || die "no such kernel: $elf"
[[ -f $template ]] || die "no such template: $template"
[[ -f $grub_dir/cdboot.img ]] ||
	die "$grub_dir/cdboot.img missing: install grub-pc-bin" \
	    "(tools/deps.sh build); without it the ISO does not boot"
command -v grub-mkrescue >/dev/null 2>&1 ||
	die "grub-mkrescue missing: run tools/deps.sh build"

# A newline or other control character would end the multiboot2 line in
# grub.cfg and let the rest run as GRUB commands; refuse rather than guess.
if [[ $cmdline == *[[:cntrl:]]* ]]; then
	die "command line contains a control character: $(printf '%q' "$cmdline")"
fi

# Quote each word for GRUB's shell-like parser: inside single quotes
# nothing is special ($, ;, #, {, \ ...), and a single quote itself is
# written as '\'' (close, escaped quote, reopen) as in sh.  Note that GRUB
# itself then hands the kernel a backslash before each ' " and \ (its
# multiboot2 loader escapes those when it joins the words).
quoted=""
read -ra words <<<"$cmdline"
for w in "${words[@]}"; do
	quoted+="${quoted:+ }'${w//\'/\'\\\'\'}'"
done

# Substitute by splitting the template at the marker; no sed, so no
# character in the command line can be taken as sed syntax.
tmpl=$(<"$template")
rest=${tmpl#*@CMDLINE@}
[[ $tmpl == *@CMDLINE@* && $rest != *@CMDLINE@* ]] ||
	die "$template must contain the @CMDLINE@ marker exactly once"
cfg="${tmpl%%@CMDLINE@*}${quoted}${tmpl#*@CMDLINE@}"

# Boot modules: names are basenames, limited to a safe character set.
read -ra modules <<<"${MKISO_MODULES:-}"
modlines=""
for m in "${modules[@]}"; do
	[[ -f $m ]] || die "no such module: $m"
	mname=$(basename "$m")
	[[ $mname =~ ^[A-Za-z0-9._-]+$ ]] || die "bad module name: $mname"
	modlines+="${modlines:+$'\n'}	module2 /boot/$mname $mname"
done
[[ $cfg == *@MODULES@* ]] || die "$template must contain the @MODULES@ marker"
cfg="${cfg%%@MODULES@*}${modlines}${cfg#*@MODULES@}"

# Cache key: anything that changes the ISO's bytes must be in it.
key=$({
	sha256sum <"$elf"
	for m in "${modules[@]}"; do sha256sum <"$m"; done
	printf '%s\n' "$cfg" "${mkrescue_opts[@]}"
} | sha256sum | cut -c1-32)

outdir=$(dirname "$out")
cache=${ISO_CACHE_DIR:-$outdir/.iso-cache}
mkdir -p "$outdir" "$cache"
cached=$cache/$key.iso

tmpdir=""
tmpout=""
cleanup() {
	[[ -z $tmpdir ]] || rm -rf "$tmpdir"
	[[ -z $tmpout ]] || rm -f "$tmpout"
}
trap cleanup EXIT

if [[ -f $cached ]]; then
	touch "$cached" # keeps recently used ISOs out of the pruning below
else
	tmpdir=$(mktemp -d "$cache/build.XXXXXX")
	mkdir -p "$tmpdir/root/boot/grub"
	cp "$elf" "$tmpdir/root/boot/kernel.elf"
	for m in "${modules[@]}"; do cp "$m" "$tmpdir/root/boot/"; done
	printf '%s\n' "$cfg" >"$tmpdir/root/boot/grub/grub.cfg"
	if ! grub-mkrescue "${mkrescue_opts[@]}" -o "$tmpdir/out.iso" \
	    "$tmpdir/root" >"$tmpdir/log" 2>&1; then
		cat "$tmpdir/log" >&2
		die "grub-mkrescue failed (is mtools installed? tools/deps.sh build)"
	fi
	# Rename is atomic within one directory: a concurrent run building
	# the same key just replaces an identical file.
	mv -f "$tmpdir/out.iso" "$cached"

	# Prune: keep the 64 most recently used ISOs (each under 1 MB).
	# Names are hex hashes, so ls output is safe to parse here.
	# shellcheck disable=SC2012
	ls -t "$cache"/*.iso 2>/dev/null | tail -n +65 | xargs -r rm -f
fi

# Publish: hard link when possible (free), copy otherwise (other
# filesystem), then rename into place.  Nothing to do if OUT already is
# the cached file (mv refuses to rename a file onto another link of itself).
if [[ ! $out -ef $cached ]]; then
	tmpout="$out.tmp.$$"
	ln -f "$cached" "$tmpout" 2>/dev/null || cp -f "$cached" "$tmpout"
	mv -f "$tmpout" "$out"
fi
