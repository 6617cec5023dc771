#!/usr/bin/env bash
# Set up (idempotently) and run riffbox's main job on embedded defaults:
# server on UDP 22124, admin page on http://0.0.0.0:8080, settings in ./var/riffbox.db.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
mkdir -p var
exec node dist/appliance/src/cli.js all --db var/riffbox.db "$@"
