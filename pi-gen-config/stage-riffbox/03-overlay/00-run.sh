#!/bin/bash -e
# Installs overlays/rootfs (copied to files/rootfs by the build) over /, owned by root.
# Git keeps only the executable bit, so modes are decided here: sudoers drop-ins 0440,
# executables 0755, everything else 0644.
SRC=files/rootfs
[ -d "${SRC}" ] || { echo "03-overlay: ${SRC} missing; run the build through image/build" >&2; exit 1; }
find "${SRC}" -mindepth 1 -type d -printf '%P\n' | while read -r dir; do
	install -d -m 0755 -o root -g root "${ROOTFS_DIR}/${dir}"
done
find "${SRC}" -type f -printf '%P\n' | while read -r file; do
	case "${file}" in
		etc/sudoers.d/*) mode=0440 ;;
		*) if [ -x "${SRC}/${file}" ]; then mode=0755; else mode=0644; fi ;;
	esac
	install -m "${mode}" -o root -g root "${SRC}/${file}" "${ROOTFS_DIR}/${file}"
done
