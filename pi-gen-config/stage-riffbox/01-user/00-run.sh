#!/bin/bash -e
# The optional shell of riffbox.txt (ssh_authorized_key=) is for pi-gen's first user: record its
# name (FIRST_USER_NAME in the config) for the root helper.
install -d -m 0755 "${ROOTFS_DIR}/etc/riffbox"
printf '%s\n' "${FIRST_USER_NAME}" >"${ROOTFS_DIR}/etc/riffbox/shell-user"
chmod 0644 "${ROOTFS_DIR}/etc/riffbox/shell-user"
