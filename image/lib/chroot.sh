# shellcheck shell=bash
# pi-gen's on_chroot convention for the offline build: the script arrives on stdin and runs under
# `bash -e` inside ROOTFS_DIR, with /proc, /dev, /sys, /run and /tmp mounted as pi-gen mounts them.

chroot_mount() {
	local root="$1"
	mountpoint -q "${root}/proc" || mount -t proc proc "${root}/proc"
	mountpoint -q "${root}/dev" || mount --bind /dev "${root}/dev"
	mountpoint -q "${root}/dev/pts" || mount --bind /dev/pts "${root}/dev/pts"
	mountpoint -q "${root}/sys" || mount --bind /sys "${root}/sys"
	mountpoint -q "${root}/run" || mount -t tmpfs tmpfs "${root}/run"
	mountpoint -q "${root}/tmp" || mount -t tmpfs tmpfs "${root}/tmp"
}

# Unmounts everything below root, deepest first; safe to call when nothing is mounted.
chroot_unmount() {
	local root="$1" mnt
	[ -d "${root}" ] || return 0
	root="$(realpath "${root}")"
	awk -v r="${root}/" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r | while read -r mnt; do
		umount "${mnt}" || umount -l "${mnt}"
	done
}

on_chroot() {
	chroot_mount "${ROOTFS_DIR}"
	# policy-rc.d keeps package scripts from starting daemons inside the build chroot.
	printf '#!/bin/sh\nexit 101\n' >"${ROOTFS_DIR}/usr/sbin/policy-rc.d"
	chmod 755 "${ROOTFS_DIR}/usr/sbin/policy-rc.d"
	local rc=0
	chroot "${ROOTFS_DIR}/" /bin/bash -e || rc=$?
	rm -f "${ROOTFS_DIR}/usr/sbin/policy-rc.d"
	return "${rc}"
}
export -f on_chroot chroot_mount
