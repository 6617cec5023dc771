#!/bin/bash
# Puts a block map beside every image archive in DIR under the name bmaptool looks for
# (image_X.img.xz → image_X.bmap): pi-gen's own map is named after the image file instead
# (X.bmap), and is missing when the build machine had no bmaptool. A missing map is made from the
# archive's content.
#   image/lib/bmap-beside.sh DIR
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"
DIR="${1:?usage: bmap-beside.sh DIR}"
command -v bmaptool >/dev/null || die "bmaptool missing (apt-get install bmap-tools)"
for archive in "${DIR}"/image_*.img.xz; do
	[ -e "${archive}" ] || continue
	stem="$(basename "${archive}" .img.xz)"
	want="${DIR}/${stem}.bmap"
	pigen="${DIR}/${stem#image_}.bmap"
	if [ -f "${pigen}" ]; then
		mv "${pigen}" "${want}"
	elif [ ! -f "${want}" ]; then
		raw="$(mktemp -p "${DIR}" .bmap-raw.XXXXXX)"
		log "making ${want} from ${archive}"
		# Sparse, so the map records only the blocks the image uses.
		xz --decompress --stdout "${archive}" | dd of="${raw}" bs=1M conv=sparse status=none
		bmaptool create -o "${want}" "${raw}"
		rm -f "${raw}"
	fi
	log "bmap: ${want}"
done
