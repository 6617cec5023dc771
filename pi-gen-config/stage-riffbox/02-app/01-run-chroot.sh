#!/bin/bash -e
# Compiles the two native modules for arm64 against trixie's node and ALSA, with the bundled
# opus CELT layer (the one the test suite runs; trixie's libopus 1.5.2 segfaults in custom mode,
# see scripts/build-native.mjs), then removes the build inputs and exactly the build packages
# this step added.
export DEBIAN_FRONTEND=noninteractive
BUILD=/var/tmp/riffbox-build
BUILD_DEPS="libasound2-dev libnode-dev python3 make g++"
ADDED=""
for pkg in ${BUILD_DEPS}; do
	if ! dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed'; then
		ADDED="${ADDED} ${pkg}"
	fi
done
# shellcheck disable=SC2086 # word splitting is how the list becomes arguments
apt-get -o Acquire::Retries=3 install -y --no-install-recommends ${BUILD_DEPS}

JOBS="$(nproc)"
cd "${BUILD}"
RIFFBOX_OPUS=bundled node scripts/build-native.mjs --force
install -D -m 0644 appliance/native/build/Release/riffbox_native.node \
	/opt/riffbox/appliance/native/build/Release/riffbox_native.node

# better-sqlite3 from its own source against trixie's node headers; no prebuilt download.
# Compiling SQLite takes over 20 minutes under qemu-user, so image/build-offline may hand in the
# module it built last time as prebuilt/; it is used only when built for this very version,
# Node ABI and architecture.
cd /opt/riffbox/node_modules/better-sqlite3
WANT="better-sqlite3@$(node -p 'require("./package.json").version') abi=$(node -p process.versions.modules) arch=$(node -p process.arch)"
if [ -f "${BUILD}/prebuilt/better_sqlite3.node" ] && [ "$(cat "${BUILD}/prebuilt/stamp" 2>/dev/null)" = "${WANT}" ]; then
	echo "02-app: reusing prebuilt ${WANT}"
	install -D -m 0644 "${BUILD}/prebuilt/better_sqlite3.node" build/Release/better_sqlite3.node
else
	node "${BUILD}/node_modules/node-gyp/bin/node-gyp.js" rebuild --release --nodedir=/usr --jobs="${JOBS}"
fi
find build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
find build/Release -mindepth 1 ! -name better_sqlite3.node -exec rm -rf {} +
rm -rf deps src
echo "${WANT}" >build/Release/.stamp

file_is_arm64() {
	head -c 20 "$1" | od -An -tx1 | tr -d ' \n' | grep -q '^7f454c46020101.*b700'
}
for module in /opt/riffbox/appliance/native/build/Release/riffbox_native.node \
	/opt/riffbox/node_modules/better-sqlite3/build/Release/better_sqlite3.node; do
	file_is_arm64 "${module}" || { echo "02-app: ${module} is not an arm64 ELF" >&2; exit 1; }
done

cd /
rm -rf "${BUILD}" /root/.cache/node-gyp
if [ -n "${ADDED}" ]; then
	# shellcheck disable=SC2086
	apt-get purge -y ${ADDED}
	apt-get autoremove -y --purge
fi
