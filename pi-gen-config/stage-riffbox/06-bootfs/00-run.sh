#!/bin/bash -e
# The owner's file on the FAT boot partition (exported from /boot/firmware): riffbox.txt, the
# commented template from the app, naming the first user for its optional shell. And that
# partition mounted root-only (fmask/dmask 0077): the claim code written there at boot must not be
# readable by the services' users on the box.
TEMPLATE="${ROOTFS_DIR}/opt/riffbox/webadmin/boot/riffbox.txt"
[ -f "${TEMPLATE}" ] || { echo "06-bootfs: ${TEMPLATE} missing; run the build through image/build" >&2; exit 1; }
install -d -m 0755 "${ROOTFS_DIR}/boot/firmware"
sed "s/@SHELL_USER@/${FIRST_USER_NAME}/g" "${TEMPLATE}" >"${ROOTFS_DIR}/boot/firmware/riffbox.txt"
chmod 0644 "${ROOTFS_DIR}/boot/firmware/riffbox.txt"
if [ -f "${ROOTFS_DIR}/etc/fstab" ]; then
	awk 'BEGIN { OFS = "\t" } $2 == "/boot/firmware" && $3 == "vfat" && $4 !~ /fmask=/ { $4 = $4 ",fmask=0077,dmask=0077" } { print }' \
		"${ROOTFS_DIR}/etc/fstab" >"${ROOTFS_DIR}/etc/fstab.riffbox"
	mv "${ROOTFS_DIR}/etc/fstab.riffbox" "${ROOTFS_DIR}/etc/fstab"
fi
