#!/bin/bash
# Compiles the checkout (the boot test and the inspection run from dist/) and, when run as root
# through sudo, hands dist/ back to whoever owns the checkout.
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"
cd "${REPO_DIR}"
npx tsc -p tsconfig.json >"${IMAGE_WORK}/tsc-tests.log" 2>&1 || { cat "${IMAGE_WORK}/tsc-tests.log" >&2; die "tsc failed"; }
chown -R "$(stat -c %u:%g "${REPO_DIR}")" dist
