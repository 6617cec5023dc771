#!/bin/bash
# Builds (or reuses) the offline stand-in for pi-gen's stage0-2: an arm64 Debian root file system
# bootstrapped from Debian's mirror, with Debian's Raspberry Pi kernel and firmware, as Debian's own
# Raspberry Pi images are made. The tree is cached under image/work/base and rebuilt only when this
# script or the package list changes, because the emulated kernel install alone takes minutes.
#   image/lib/base-rootfs.sh            prints the cached tree's path on stdout
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"

BASE="${IMAGE_WORK}/base"
ROOT="${BASE}/rootfs"
KEY="$(cat "$0" "${IMAGE_DIR}/lib/base-packages" "${IMAGE_DIR}/lib/chroot.sh" | sha256sum | cut -c1-16)"

if [ -f "${BASE}/stamp" ] && [ "$(cat "${BASE}/stamp")" = "${KEY}" ]; then
	log "base rootfs cached (${KEY})"
	echo "${ROOT}"
	exit 0
fi

ensure_binfmt
# shellcheck source=SCRIPTDIR/chroot.sh
source "${IMAGE_DIR}/lib/chroot.sh"
export ROOTFS_DIR="${ROOT}"
trap 'chroot_unmount "${ROOT}"' EXIT

chroot_unmount "${ROOT}"
rm -rf "${BASE}"
mkdir -p "${BASE}"
PACKAGES="$(sed -e 's/#.*//' "${IMAGE_DIR}/lib/base-packages" | xargs)"

t0=$(now)
log "debootstrap ${RELEASE} arm64 minbase from ${DEBIAN_MIRROR}"
debootstrap --arch=arm64 --variant=minbase --components=main,non-free-firmware \
	--include=ca-certificates,dbus,systemd-sysv,udev,nodejs \
	"${RELEASE}" "${ROOT}" "${DEBIAN_MIRROR}" >"${BASE}/debootstrap.log" 2>&1 \
	|| { tail -n 30 "${BASE}/debootstrap.log" >&2; die "debootstrap failed (see ${BASE}/debootstrap.log)"; }
t1=$(now)
echo "$((t1 - t0))" >"${BASE}/debootstrap.seconds"
log "debootstrap took $((t1 - t0)) s"

cat >"${ROOT}/etc/apt/sources.list" <<SOURCES
deb ${DEBIAN_MIRROR} ${RELEASE} main non-free-firmware
deb ${DEBIAN_MIRROR} ${RELEASE}-updates main non-free-firmware
deb http://deb.debian.org/debian-security ${RELEASE}-security main non-free-firmware
SOURCES

# raspi-firmware's kernel hook copies the kernel, initrd and device trees to /boot/firmware and
# writes cmdline.txt from ROOTPART; pi-gen's bootfs is labelled bootfs and its rootfs rootfs.
mkdir -p "${ROOT}/boot/firmware"
cat >"${ROOT}/etc/default/raspi-firmware" <<'DEFAULTS'
ROOTPART=LABEL=rootfs
CONSOLES="serial0,115200 tty1"
DEFAULTS
cat >"${ROOT}/etc/fstab" <<'FSTAB'
proc            /proc           proc    defaults          0       0
LABEL=bootfs    /boot/firmware  vfat    defaults          0       2
LABEL=rootfs    /               ext4    defaults,noatime  0       1
FSTAB

# The kernel goes in last and alone: every package with an initramfs trigger installed after it
# would regenerate the initrd once more, minutes each under emulation. force-confold keeps the
# /etc/default/raspi-firmware written above instead of stopping at dpkg's conffile question.
on_chroot <<CHROOT
export DEBIAN_FRONTEND=noninteractive
APT="apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
apt-get update -qq
\${APT} $(echo " ${PACKAGES} " | sed -e 's/ linux-image-arm64 / /; s/ raspi-firmware / /')
\${APT} linux-image-arm64 raspi-firmware
# As pi-gen's stage2 does with ENABLE_SSH=0, and with no password on root.
systemctl disable ssh
usermod --pass='*' root
rm -f /etc/ssh/ssh_host_*_key*
apt-get clean
CHROOT
t2=$(now)
echo "$((t2 - t1))" >"${BASE}/packages.seconds"
log "base packages took $((t2 - t1)) s"

# pi-gen's stage1 sets the hostname; the offline base does it here because stage1 is not run.
echo riffbox >"${ROOT}/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\triffbox\n' >"${ROOT}/etc/hosts"

chroot_unmount "${ROOT}"
echo "${KEY}" >"${BASE}/stamp"
echo "${ROOT}"
