#!/bin/bash
# The offline counterpart of pi-gen's export-image: finalises a stage's root file system the way
# export-image/05-finalise does, then writes a two-partition image (FAT "bootfs" at 8 MiB of
# 512 MiB, ext4 "rootfs" sized like pi-gen's: tree + 20% + 200 MiB) without mounting anything:
# mkfs.vfat + mtools for bootfs, mkfs.ext4 -d for rootfs, sfdisk for the table.
#   image/lib/export-image.sh ROOTFS_DIR OUT.img
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"
ROOTFS="$(realpath "${1:?usage: export-image.sh ROOTFS_DIR OUT.img}")"
OUT="${2:?}"
PARTS="$(mktemp -d "${IMAGE_WORK}/export.XXXXXX")"
trap 'rm -rf "${PARTS}"' EXIT

# --- finalise (as pi-gen's export-image/05-finalise) ---
rm -f "${ROOTFS}/usr/sbin/policy-rc.d" "${ROOTFS}/var/lib/dbus/machine-id"
rm -f "${ROOTFS}"/etc/{passwd,group,shadow,gshadow,subuid,subgid}-
rm -f "${ROOTFS}"/var/cache/debconf/*-old "${ROOTFS}"/var/lib/dpkg/*-old
rm -rf "${ROOTFS}"/var/cache/apt/archives/*.deb "${ROOTFS}"/var/lib/apt/lists/*_Packages
echo uninitialized >"${ROOTFS}/etc/machine-id"
ln -nsf /proc/mounts "${ROOTFS}/etc/mtab"
find "${ROOTFS}/var/log/" -type f -exec cp /dev/null {} \;

# --- sizes (as pi-gen's export-image/prerun.sh) ---
ALIGN=$((8 * 1024 * 1024))
BOOT_SIZE=$((512 * 1024 * 1024))
ROOT_SIZE=$(du -x --apparent-size -s --exclude var/cache/apt/archives --exclude boot/firmware --block-size=1 "${ROOTFS}" | cut -f1)
ROOT_MARGIN=$((ROOT_SIZE / 5 + 200 * 1024 * 1024))
BOOT_START=${ALIGN}
ROOT_START=$((BOOT_START + BOOT_SIZE))
ROOT_PART_SIZE=$(((ROOT_SIZE + ROOT_MARGIN + ALIGN - 1) / ALIGN * ALIGN))
IMG_SIZE=$((ROOT_START + ROOT_PART_SIZE))

# --- bootfs: the firmware partition, moved out of the tree so rootfs keeps an empty mount point ---
BOOTDIR="${PARTS}/bootfs"
mkdir -p "${BOOTDIR}"
if [ -d "${ROOTFS}/boot/firmware" ]; then
	cp -R "${ROOTFS}/boot/firmware/." "${BOOTDIR}/"
fi
mkfs.vfat -C -F 32 -s 1 -n bootfs "${PARTS}/bootfs.img" $((BOOT_SIZE / 1024)) >/dev/null
if [ -n "$(ls -A "${BOOTDIR}")" ]; then
	MTOOLS_SKIP_CHECK=1 mcopy -s -p -m -i "${PARTS}/bootfs.img" "${BOOTDIR}"/* ::/
fi

# --- rootfs: mkfs.ext4 -d copies owners, modes, hard links and xattrs (file capabilities) ---
ROOT_FEATURES="^huge_file"
ASIDE="${PARTS}/firmware.aside"
mv "${ROOTFS}/boot/firmware" "${ASIDE}"
mkdir -m 0755 "${ROOTFS}/boot/firmware"
ARCHIVES_ASIDE=""
if [ -d "${ROOTFS}/var/cache/apt/archives" ]; then
	ARCHIVES_ASIDE="${PARTS}/archives.aside"
	mv "${ROOTFS}/var/cache/apt/archives" "${ARCHIVES_ASIDE}"
	mkdir -p "${ROOTFS}/var/cache/apt/archives/partial"
fi
rc=0
mkfs.ext4 -q -F -L rootfs -O "${ROOT_FEATURES}" -d "${ROOTFS}" "${PARTS}/rootfs.img" $((ROOT_PART_SIZE / 1024))k || rc=$?
rmdir "${ROOTFS}/boot/firmware"
mv "${ASIDE}" "${ROOTFS}/boot/firmware"
if [ -n "${ARCHIVES_ASIDE}" ]; then
	rm -rf "${ROOTFS}/var/cache/apt/archives"
	mv "${ARCHIVES_ASIDE}" "${ROOTFS}/var/cache/apt/archives"
fi
[ "${rc}" -eq 0 ] || die "mkfs.ext4 -d failed"

# --- the disk: msdos label, bootfs type c (FAT32 LBA), rootfs type 83, as pi-gen's parted makes ---
rm -f "${OUT}"
truncate -s "${IMG_SIZE}" "${OUT}"
sfdisk --quiet "${OUT}" <<TABLE
label: dos
unit: sectors
start=$((BOOT_START / 512)), size=$((BOOT_SIZE / 512)), type=c
start=$((ROOT_START / 512)), size=$((ROOT_PART_SIZE / 512)), type=83
TABLE
dd if="${PARTS}/bootfs.img" of="${OUT}" bs=4M seek="${BOOT_START}" oflag=seek_bytes conv=notrunc,sparse status=none
dd if="${PARTS}/rootfs.img" of="${OUT}" bs=4M seek="${ROOT_START}" oflag=seek_bytes conv=notrunc,sparse status=none

if command -v bmaptool >/dev/null 2>&1; then
	bmaptool create -o "${OUT%.img}.bmap" "${OUT}"
fi
log "wrote ${OUT}: $((IMG_SIZE / 1024 / 1024)) MiB (rootfs tree $((ROOT_SIZE / 1024 / 1024)) MiB)"
