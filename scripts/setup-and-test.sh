#!/usr/bin/env bash
# Set up (idempotently) and run the default test suite: unit, interop (real Jamulus), network, browser.
# Then, on their cadence, the slow image tests: only when image/, overlays/ or pi-gen-config/ differ
# from the tree recorded in image/VERIFIED by the last passing `image/test-all --record`
# (image/ci-cadence). Arguments (suite names) run just those suites and skip the image check.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
rc=0
node scripts/run-tests.mjs "$@" || rc=$?
if [ $# -eq 0 ] && image/ci-cadence; then
  scripts/setup.sh image
  image/test-all || rc=1
fi
exit "$rc"
