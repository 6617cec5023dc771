#!/usr/bin/env bash
# Idempotent setup for a fresh Debian 12 (bookworm) or 13 (trixie) machine with Node 20, run as root.
# Installs only what is missing, then npm ci, the native addon and the TypeScript build.
# Usage: scripts/setup.sh [run|test|image]   (what the caller needs: test adds the peers and browser,
#        image the offline image build and QEMU boot)
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-run}

# shellcheck source=scripts/packages.sh
. scripts/packages.sh
. /etc/os-release
case "${VERSION_CODENAME:-}" in
  bookworm|trixie) ;;
  *) echo "setup: Debian 12 (bookworm) or 13 (trixie) expected, this is ${PRETTY_NAME:-unknown}" >&2; exit 1 ;;
esac
case "$want" in
  run|test|image) ;;
  *) echo "usage: scripts/setup.sh [run|test|image]" >&2; exit 2 ;;
esac

missing=()
mapfile -t pkgs < <(packages_for run "$VERSION_CODENAME"; [ "$want" = run ] || packages_for "$want" "$VERSION_CODENAME")
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # ddclient's postinst asks questions; answer them with defaults, we render its config ourselves.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Native modules (better-sqlite3 during npm ci, then the addon) compile against the headers Node
# ships with, rather than headers downloaded from nodejs.org.
node_prefix="$(node -p 'require("path").resolve(process.execPath, "../..")')"
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_prefix/include/node/node.h" ]; then export npm_config_nodedir="$node_prefix"; fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
node scripts/build-native.mjs
npx tsc -p tsconfig.json
