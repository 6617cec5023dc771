#!/bin/bash
# A small stand-in for pi-gen's build.sh, enough to run one pi-gen stage directory unchanged:
# it sources pi-gen-config/config, provides pi-gen's variables (ROOTFS_DIR, PREV_ROOTFS_DIR,
# STAGE_DIR, STAGE_WORK_DIR, ...) and functions (log, on_chroot, copy_previous), runs prerun.sh,
# then each sub-stage's NN-debconf, NN-packages-nr, NN-packages, NN-run.sh and NN-run-chroot.sh
# in pi-gen's order, from inside the sub-stage directory so files/ resolves as it does there.
#   image/lib/run-stage.sh STAGE_DIR PREV_ROOTFS_DIR WORK_DIR
# The stage's root file system ends up in WORK_DIR/<stage name>/rootfs.
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
source "$(dirname "$0")/common.sh"
# shellcheck source=SCRIPTDIR/chroot.sh
source "${IMAGE_DIR}/lib/chroot.sh"

STAGE_DIR="$(realpath "${1:?usage: run-stage.sh STAGE_DIR PREV_ROOTFS_DIR WORK_DIR}")"
PREV_ROOTFS_DIR="$(realpath "${2:?}")"
WORK_DIR="$(realpath "${3:?}")"

# The same configuration pi-gen reads, with build.sh's defaults for what it leaves out.
# shellcheck source=pi-gen-config/config
source "${REPO_DIR}/pi-gen-config/config"
export IMG_NAME RELEASE TARGET_HOSTNAME ENABLE_SSH DISABLE_FIRST_BOOT_USER_RENAME PASSWORDLESS_SUDO
export FIRST_USER_NAME="${FIRST_USER_NAME:-pi}" FIRST_USER_PASS="${FIRST_USER_PASS:-}"
export USE_QEMU="${USE_QEMU:-0}" DEBIAN_FRONTEND=noninteractive
STAGE="$(basename "${STAGE_DIR}")"
STAGE_WORK_DIR="${WORK_DIR}/${STAGE}"
ROOTFS_DIR="${STAGE_WORK_DIR}/rootfs"
export STAGE STAGE_DIR STAGE_WORK_DIR ROOTFS_DIR PREV_ROOTFS_DIR WORK_DIR

# pi-gen's copy_previous, with the same rsync flags.
copy_previous() {
	[ -d "${PREV_ROOTFS_DIR}" ] || { echo "Previous stage rootfs not found"; return 1; }
	mkdir -p "${ROOTFS_DIR}"
	rsync -aHAXx --exclude var/cache/apt/archives "${PREV_ROOTFS_DIR}/" "${ROOTFS_DIR}/"
}
export -f copy_previous log

# pi-gen's remove-comments.sed: drop comments, collapse whitespace.
package_list() {
	sed -e 's/#.*//' "$1" | tr -s '[:space:]' ' ' | sed -e 's/^ //; s/ $//'
}

run_sub_stage() {
	local sub="$1" i packages
	log "Begin ${sub}"
	pushd "${sub}" >/dev/null
	for i in $(seq -w 0 99); do
		if [ -f "${i}-debconf" ]; then
			on_chroot <<-CHROOT
				debconf-set-selections <<'SELEOF'
				$(cat "${i}-debconf")
				SELEOF
			CHROOT
		fi
		if [ -f "${i}-packages-nr" ]; then
			packages="$(package_list "${i}-packages-nr")"
			if [ -n "${packages}" ]; then
				log "${sub}/${i}-packages-nr: ${packages}"
				echo "apt-get -o Acquire::Retries=3 install --no-install-recommends -y ${packages}" | on_chroot
			fi
		fi
		if [ -f "${i}-packages" ]; then
			packages="$(package_list "${i}-packages")"
			if [ -n "${packages}" ]; then
				log "${sub}/${i}-packages: ${packages}"
				echo "apt-get -o Acquire::Retries=3 install -y ${packages}" | on_chroot
			fi
		fi
		if [ -d "${i}-patches" ]; then
			die "${sub}/${i}-patches: quilt patches are not supported by the offline runner"
		fi
		if [ -x "${i}-run.sh" ]; then
			log "${sub}/${i}-run.sh"
			"./${i}-run.sh"
		elif [ -f "${i}-run.sh" ]; then
			log "Skip ${sub}/${i}-run.sh (not executable)"
		fi
		if [ -f "${i}-run-chroot.sh" ]; then
			log "${sub}/${i}-run-chroot.sh"
			on_chroot <"${i}-run-chroot.sh"
		fi
	done
	popd >/dev/null
	log "End ${sub}"
}

trap 'chroot_unmount "${ROOTFS_DIR}"' EXIT
chroot_unmount "${ROOTFS_DIR}"
# pi-gen rebuilds a stage from the previous one unless CONTINUE is set; do the same every time.
rm -rf "${ROOTFS_DIR}"
mkdir -p "${STAGE_WORK_DIR}"
cd "${STAGE_DIR}"
if [ -x prerun.sh ]; then
	log "Begin ${STAGE_DIR}/prerun.sh"
	./prerun.sh
fi
for sub in "${STAGE_DIR}"/*; do
	if [ -d "${sub}" ] && [ ! -f "${sub}/SKIP" ]; then
		run_sub_stage "${sub}"
	fi
done
echo "apt-get clean" | on_chroot
log "stage ${STAGE} done: ${ROOTFS_DIR}"
