#!/usr/bin/env bash
# Builds (or finds in the cache) the Linux reference bundle and prints its
# directory on stdout; everything else goes to stderr. The bundle is
# Debian bookworm's armhf Linux 6.1 (linux-image-armmp), its
# imx6ul-14x14-evk.dtb changed for QEMU 7.2, and an initramfs of
# busybox-static, nftables and their libraries, all from Debian packages
# (apt-get download, dpkg-deb -x: nothing armhf is installed on the host).
#
# Cache layout ($FOSBURY_CACHE, default $HOME/.cache/fosbury):
#   linuxref-<hash>/   vmlinuz, imx6ul-14x14-evk.dtb, initrd.cpio, cmdline,
#                      manifest (package versions, modules, libraries)
# <hash> covers every file beside this script. The first build needs root
# (dpkg --add-architecture armhf, apt-get update) and the Debian mirror.
set -euo pipefail
{

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${FOSBURY_CACHE:-$HOME/.cache/fosbury}
log() { echo "linuxref: $*" >&2; }
die() { log "$*"; exit 1; }

hash=$( (cd "$here" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)
out=$cache/linuxref-$hash
if [[ -f $out/manifest ]]; then
	echo "$out"
	exit 0
fi

for tool in apt-get apt-cache dpkg-deb fdtget fdtput depmod modprobe cpio readelf; do
	command -v "$tool" >/dev/null || die "$tool missing: run 'make linuxref-deps' (as root)"
done

mkdir -p "$cache"
exec 9>"$cache/.linuxref.lock"
flock 9
if [[ -f $out/manifest ]]; then # built by a concurrent run
	echo "$out"
	exit 0
fi
start=$(date +%s)

apt_root() {
	[[ $(id -u) = 0 ]] || die "needs root once: sudo $*"
	"$@" >&2
}
if ! dpkg --print-foreign-architectures | grep -qx armhf; then
	apt_root dpkg --add-architecture armhf
	apt_root apt-get update -qq
fi
if ! apt-cache show busybox-static:armhf >/dev/null 2>&1; then
	apt_root apt-get update -qq
fi

# The kernel: whatever image the metapackage points at today (the mirror
# keeps only the newest); the manifest records which.
kpkg=$(apt-cache depends linux-image-armmp:armhf | sed -n 's/^ *Depends: \(linux-image-[0-9].*-armmp\)\(:armhf\)\?$/\1/p' | head -n 1)
[[ -n $kpkg ]] || die "linux-image-armmp:armhf depends on no linux-image-*-armmp"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mapfile -t pkgs < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages")
log "downloading $kpkg ${pkgs[*]} (armhf)"
# apt's sandbox user cannot write into a root-owned mktemp directory.
chmod 0777 "$work"
(cd "$work" && apt-get download -q "$kpkg:armhf" "${pkgs[@]/%/:armhf}") >&2

mkdir "$work/kernel" "$work/root" "$work/stage"
dpkg-deb -x "$work/$kpkg"_*.deb "$work/kernel"
for p in "${pkgs[@]}"; do
	dpkg-deb -x "$(ls "$work/${p}"_*_armhf.deb)" "$work/root"
done
kver=$(ls "$work/kernel/lib/modules")
[[ $(wc -w <<<"$kver") = 1 ]] || die "expected one kernel version, got: $kver"

# Modules in load order. modules.dep comes from depmod on the unpacked
# image; soft dependencies are dropped (libcrc32c's would pull in
# crc32-arm-ce, which needs ARMv8 CRC instructions).
depmod -b "$work/kernel" "$kver"
: >"$work/kernel/lib/modules/$kver/modules.softdep"
mkdir -p "$work/stage/lib/modules" "$work/stage/etc/linuxref"
mapfile -t roots < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/modules")
for m in "${roots[@]}"; do
	modprobe -d "$work/kernel" -S "$kver" --show-depends "$m" || die "module $m not in $kpkg"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$work/modpaths"
while read -r ko; do
	name=$(basename "$ko" .ko)
	cp "$ko" "$work/stage/lib/modules/$name.ko"
	echo "$name" >>"$work/stage/etc/linuxref/modules"
done <"$work/modpaths"

# Userland: busybox (static) and nft with its shared-library closure, each
# library found by its DT_NEEDED name in the unpacked packages.
s=$work/stage
mkdir -p "$s"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,lib/arm-linux-gnueabihf}
cp "$work/root/bin/busybox" "$s/bin/busybox"
ln -s busybox "$s/bin/sh"
cp "$work/root/usr/sbin/nft" "$s/usr/sbin/nft"
interp=$(readelf -l "$s/usr/sbin/nft" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[[ $interp = /lib/ld-linux-armhf.so.3 ]] || die "nft wants interpreter '$interp'"
cp -L "$work/root$interp" "$s$interp"
todo=("$s/usr/sbin/nft")
libs=()
while ((${#todo[@]})); do
	elf=${todo[0]}
	todo=("${todo[@]:1}")
	for lib in $(readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		dst=$s/lib/arm-linux-gnueabihf/$lib
		[[ -e $dst || $lib = "$(basename "$interp")" ]] && continue
		src=""
		for d in lib/arm-linux-gnueabihf usr/lib/arm-linux-gnueabihf; do
			[[ -e $work/root/$d/$lib ]] && { src=$work/root/$d/$lib; break; }
		done
		[[ -n $src ]] || die "$(basename "$elf") needs $lib, which no package in image/packages provides"
		cp -L "$src" "$dst"
		libs+=("$lib")
		todo+=("$dst")
	done
done
cp "$here/init" "$s/init"
chmod 0755 "$s/init"
cp "$here/bridge.nft" "$s/etc/linuxref/bridge.nft"

rm -rf "$out.tmp"
mkdir -p "$out.tmp"
(cd "$s" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out.tmp/initrd.cpio"
cp "$work/kernel/boot/vmlinuz-$kver" "$out.tmp/vmlinuz"

# The dtb: QEMU 7.2 answers each PHY only on its own ENET's MDIO, so
# ENET1's PHY node moves from ENET2's mdio node to a new one under ENET1
# (same properties and phandle, so ENET1's phy-handle still points at it).
dtb=$out.tmp/imx6ul-14x14-evk.dtb
cp "$work/kernel/usr/lib/linux-image-$kver/imx6ul-14x14-evk.dtb" "$dtb"
enet1=$(fdtget -t s "$dtb" /aliases ethernet0)
enet2=$(fdtget -t s "$dtb" /aliases ethernet1)
[[ $enet1 = */ethernet@2188000 && $enet2 = */ethernet@20b4000 ]] || die "unexpected ENET nodes: $enet1 $enet2"
phy=$enet2/mdio/ethernet-phy@2
[[ $(fdtget -t x "$dtb" "$phy" phandle) = $(fdtget -t x "$dtb" "$enet1" phy-handle) ]] ||
	die "$phy is not ENET1's phy-handle"
props=$(fdtget -p "$dtb" "$phy")
declare -A val
for p in $props; do val[$p]=$(fdtget -t bx "$dtb" "$phy" "$p"); done
fdtput -r "$dtb" "$phy"
fdtput -c "$dtb" "$enet1/mdio"
fdtput -t i "$dtb" "$enet1/mdio" '#address-cells' 1
fdtput -t i "$dtb" "$enet1/mdio" '#size-cells' 0
fdtput -c "$dtb" "$enet1/mdio/ethernet-phy@2"
for p in $props; do
	# shellcheck disable=SC2086 # one argument per byte
	fdtput -t bx "$dtb" "$enet1/mdio/ethernet-phy@2" "$p" ${val[$p]}
done

echo "console=ttymxc0,115200 loglevel=3" >"$out.tmp/cmdline"
{
	echo "kernel $kver"
	for deb in "$work"/*.deb; do dpkg-deb -f "$deb" Package Version | paste -sd' '; done
	echo "modules $(paste -sd' ' "$s/etc/linuxref/modules")"
	echo "libraries ${libs[*]}"
	echo "initrd $(du -k "$out.tmp/initrd.cpio" | cut -f1) KiB"
} >"$out.tmp/manifest.tmp"
mv "$out.tmp/manifest.tmp" "$out.tmp/manifest"
rm -rf "$out"
mv "$out.tmp" "$out"
log "built $out in $(($(date +%s) - start)) s"

# Keep the newest two bundles.
ls -1dt "$cache"/linuxref-* 2>/dev/null | grep -v '\.tmp$' | tail -n +3 | while read -r old; do
	log "pruning $old"
	rm -rf "$old"
done
echo "$out"
exit 0
}
