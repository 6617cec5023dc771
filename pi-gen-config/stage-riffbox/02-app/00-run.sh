#!/bin/bash -e
# Installs the app (compiled JS, package.json, production node_modules without native builds)
# to /opt/riffbox, and the native build inputs to /var/tmp/riffbox-build for the chroot step.
# image/build and image/build-offline fill files/ from the repository (image/lib/assemble-stage.sh).
[ -f files/app/package.json ] || { echo "02-app: files/app is empty; run the build through image/build" >&2; exit 1; }
rm -rf "${ROOTFS_DIR}/opt/riffbox" "${ROOTFS_DIR}/var/tmp/riffbox-build"
install -d -m 0755 -o root -g root "${ROOTFS_DIR}/opt/riffbox" "${ROOTFS_DIR}/var/tmp/riffbox-build"
cp -R --no-preserve=ownership files/app/. "${ROOTFS_DIR}/opt/riffbox/"
cp -R --no-preserve=ownership files/build/. "${ROOTFS_DIR}/var/tmp/riffbox-build/"
chmod -R u=rwX,go=rX "${ROOTFS_DIR}/opt/riffbox"
