#!/bin/bash
# Prints one hash over everything that shapes the image as committed at HEAD: image/,
# overlays/ and pi-gen-config/, minus image/VERIFIED (which records this very hash) and
# image/README.md (prose). With --dirty, exits 1 when those paths differ from HEAD.
set -euo pipefail
cd "$(dirname "$0")/../.."
PATHS=(image overlays pi-gen-config)
if [ "${1:-}" = "--dirty" ]; then
	changes="$(git status --porcelain -- "${PATHS[@]}" | grep -v -e ' image/VERIFIED$' -e ' image/README.md$' -e ' image/work/' || true)"
	[ -z "${changes}" ] || { echo "${changes}"; exit 1; }
	exit 0
fi
git ls-tree -r HEAD -- "${PATHS[@]}" \
	| grep -v -P '\timage/(VERIFIED|README\.md)$' \
	| sha256sum | cut -d' ' -f1
