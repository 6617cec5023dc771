#!/bin/bash
# Runs the flashing commands of image/README.md as written, on the offline image: the image is
# packed and named as pi-gen deploys it (image_<date>-riffbox.img.xz, the map made by
# image/lib/bmap-beside.sh as image/build makes it), then every command line of the README that
# writes /dev/sdX runs with /dev/sdX replaced by a file, and the file must equal the raw image.
#   image/lib/flash-test.sh RAW_IMAGE
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"
RAW="$(realpath "${1:?usage: flash-test.sh RAW_IMAGE}")"
FLASH="${IMAGE_WORK}/flash"
rm -rf "${FLASH}"
mkdir -p "${FLASH}"
stem="image_$(date +%Y-%m-%d)-riffbox"
# The compression level does not change what the commands do; -0 keeps this step short.
log "packing ${RAW} as ${stem}.img.xz"
nice -n 10 xz --compress -0 --threads 2 --stdout "${RAW}" >"${FLASH}/${stem}.img.xz"
"${IMAGE_DIR}/lib/bmap-beside.sh" "${FLASH}"

# The README's command lines that write the card: indented code or fenced, each naming /dev/sdX.
# shellcheck disable=SC2016 # the backticks are the README's markdown, not expansions
mapfile -t commands < <(grep -oE '(sudo bmaptool copy|xzcat) [^`]*/dev/sdX[^`]*' "${IMAGE_DIR}/README.md")
[ ${#commands[@]} -ge 2 ] || die "image/README.md names fewer than two flashing commands (bmaptool and dd)"
n=0
for cmd in "${commands[@]}"; do
	n=$((n + 1))
	card="${FLASH}/card${n}"
	run="${cmd//image_<date>-riffbox/${stem}}"
	run="${run//\/dev\/sdX/${card}}"
	run="${run//sudo /}"
	log "flash ${n}: ${cmd}"
	(cd "${FLASH}" && bash -o pipefail -c "${run}") >"${FLASH}/card${n}.log" 2>&1 \
		|| { cat "${FLASH}/card${n}.log" >&2; die "the README's command failed: ${cmd}"; }
	cmp --quiet "${card}" "${RAW}" || die "the card written by '${cmd}' differs from the image"
	rm -f "${card}"
	log "flash ${n}: the card equals the image"
done
echo "FLASH_COMMANDS=${n}"
