#!/usr/bin/env bash
# Set up (idempotently) and run the default test suite: unit, interop (real Jamulus), network, browser.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
exec node scripts/run-tests.mjs "$@"
