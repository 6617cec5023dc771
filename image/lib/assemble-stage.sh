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
# What the stage copies must exist now, not an hour into the build: the dependencies npm ci
# installs (production ones for /opt/riffbox, node-gyp and node-addon-api for the addon).
[ -f node_modules/.package-lock.json ] || die "node_modules is missing: run scripts/setup.sh (npm ci) first"
npm ls --omit=dev --all >/dev/null 2>&1 || die "node_modules does not match package-lock.json (npm ls --omit=dev fails): run npm ci"
for dep in node-gyp node-addon-api typescript; do
	[ -f "node_modules/${dep}/package.json" ] || die "node_modules/${dep} is missing: run npm ci"
done
# Compiled outside the checkout's dist/, so a build run as root leaves nothing root-owned there;
# any type error stops the build (an image whose units crash-loop is worse than none).
DIST="${IMAGE_WORK}/dist"
rm -rf "${DIST}"
log "compiling TypeScript (npx tsc --outDir ${DIST})"
npx tsc -p tsconfig.json --outDir "${DIST}" >"${IMAGE_WORK}/tsc.log" 2>&1 \
	|| { cat "${IMAGE_WORK}/tsc.log" >&2; die "tsc failed (see above); no image is built from a tree that does not compile"; }
[ -f "${DIST}/appliance/src/cli.js" ] || die "tsc produced no ${DIST}/appliance/src/cli.js"

rm -rf "${DEST}"
mkdir -p "$(dirname "${DEST}")"
cp -R pi-gen-config/stage-riffbox "${DEST}"

APP="${DEST}/02-app/files/app"
BUILD="${DEST}/02-app/files/build"
mkdir -p "${APP}/dist" "${BUILD}/scripts" "${BUILD}/appliance/native" "${DEST}/03-overlay/files"

# Compiled JS of the app only (no tests, no source maps), and package.json for "type": "module".
for part in appliance webadmin; do
	(cd "${DIST}" && find "${part}" -name '*.js' -exec cp --parents -t "${APP}/dist/" {} +)
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
