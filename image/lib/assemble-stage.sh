#!/bin/bash
# Makes a self-contained copy of pi-gen-config/stage-riffbox at DEST with its files/ filled from
# this repository: the compiled app (02-app/files/app), the native build inputs
# (02-app/files/build) and overlays/rootfs (03-overlay/files/rootfs). Both image/build (pi-gen)
# and image/build-offline run the stage from such a copy, so the repository's stage stays clean.
#   image/lib/assemble-stage.sh DEST
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"
DEST="${1:?usage: assemble-stage.sh DEST}"

cd "${REPO_DIR}"
log "compiling TypeScript (npx tsc)"
# tsc emits even when a file being written by someone else has type errors; what matters
# for the image is that the CLI came out.
npx tsc -p tsconfig.json >"${IMAGE_WORK}/tsc.log" 2>&1 || log "tsc reported errors (see ${IMAGE_WORK}/tsc.log); continuing with what it emitted"
if [ ! -f dist/appliance/src/cli.js ]; then
	log "warning: dist/appliance/src/cli.js is missing; the image's riffbox units will fail"
fi

rm -rf "${DEST}"
mkdir -p "$(dirname "${DEST}")"
cp -R pi-gen-config/stage-riffbox "${DEST}"

APP="${DEST}/02-app/files/app"
BUILD="${DEST}/02-app/files/build"
mkdir -p "${APP}/dist" "${BUILD}/scripts" "${BUILD}/appliance/native" "${DEST}/03-overlay/files"

# Compiled JS of the app only (no tests, no source maps), and package.json for "type": "module".
for part in appliance webadmin; do
	if [ -d "dist/${part}" ]; then
		(cd dist && find "${part}" -name '*.js' -exec cp --parents -t "${APP}/dist/" {} +)
	fi
done
cp package.json package-lock.json "${APP}/"
for part in webadmin/views webadmin/public webadmin/boot; do
	if [ -d "${part}" ]; then
		mkdir -p "${APP}/${part}"
		cp -R "${part}/." "${APP}/${part}/"
	fi
done

# Production dependencies exactly as `npm ci --omit=dev` would lay them out, minus any host build.
node image/lib/npm-closure.mjs --prod | while read -r mod; do
	mkdir -p "${APP}/${mod}"
	cp -R "${mod}/." "${APP}/${mod}/"
done
rm -rf "${APP}/node_modules/better-sqlite3/build"

# What compiling the addon needs in the chroot: its sources, the build script, node-gyp and
# node-addon-api (development dependencies, removed again after the build).
cp scripts/build-native.mjs "${BUILD}/scripts/"
cp package.json "${BUILD}/"
cp appliance/native/binding.gyp "${BUILD}/appliance/native/"
cp -R appliance/native/src "${BUILD}/appliance/native/src"
# The opus source tarball that setup fetched; build-native checks it against its pinned sha512
# in the chroot, which then needs no registry.
[ -f appliance/native/vendor/discordjs-opus-0.10.0.tgz ] || node scripts/build-native.mjs
mkdir -p "${BUILD}/appliance/native/vendor"
cp appliance/native/vendor/discordjs-opus-0.10.0.tgz "${BUILD}/appliance/native/vendor/"
node image/lib/npm-closure.mjs node-gyp node-addon-api | while read -r mod; do
	mkdir -p "${BUILD}/${mod}"
	cp -R "${mod}/." "${BUILD}/${mod}/"
done

cp -R overlays/rootfs "${DEST}/03-overlay/files/rootfs"
log "stage assembled at ${DEST} (app $(du -sh "${APP}" | cut -f1))"
