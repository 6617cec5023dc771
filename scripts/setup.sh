#!/usr/bin/env bash
# Idempotent setup for a fresh Debian 12 (bookworm) or 13 (trixie) machine with Node 20, run as root.
# Installs only what is missing, then npm ci, the native addon and the TypeScript build.
# Usage: scripts/setup.sh [run|test|image]   (what the caller needs: test adds the peers and browser,
#        image the offline image build and QEMU boot)
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-run}

# libasound2-dev pulls in the runtime library under its name of the release (libasound2 on bookworm,
# libasound2t64 on trixie), so the check below stays exact on both.
run_pkgs=(libasound2-dev alsa-utils sqlite3 ddclient iproute2 python3 make g++ pkg-config)
test_pkgs=(jamulus jackd2 libasound2-plugins sox tcpdump nftables shellcheck chromium systemd)
image_pkgs=(debootstrap qemu-user-static binfmt-support qemu-system-arm rsync dosfstools mtools fdisk e2fsprogs xz-utils)

missing=()
pkgs=("${run_pkgs[@]}")
[ "$want" = test ] && pkgs+=("${test_pkgs[@]}")
[ "$want" = image ] && pkgs+=("${image_pkgs[@]}")
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# trixie split the JACK example clients (jack_simple_client, jack_rec) out of jackd2 into
# jack-example-tools, a package bookworm does not have.
. /etc/os-release
if [ "$want" = test ] && [ "${VERSION_CODENAME:-}" != bookworm ] && ! command -v jack_rec >/dev/null 2>&1; then missing+=(jack-example-tools); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # ddclient's postinst asks questions; answer them with defaults, we render its config ourselves.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
node scripts/build-native.mjs
npx tsc -p tsconfig.json
