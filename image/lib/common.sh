# shellcheck shell=bash
# Shared helpers for the offline image scripts: logging with elapsed time, and paths.
IMAGE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "${IMAGE_DIR}/.." && pwd)"
IMAGE_WORK="${IMAGE_WORK:-${IMAGE_DIR}/work}"
export IMAGE_DIR REPO_DIR IMAGE_WORK

# Debian's mirror is the one archive these machines can reach.
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
RELEASE="${RELEASE:-trixie}"
export DEBIAN_MIRROR RELEASE

log() {
	printf '[%s] %s\n' "$(date +%T)" "$*" >&2
}

die() {
	log "error: $*"
	exit 1
}

# Seconds since the epoch, for the timings the README reports.
now() {
	date +%s
}

# Foreign arm64 binaries run through qemu-user-static; binfmt_misc may not be mounted in a container.
ensure_binfmt() {
	if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
	fi
	if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
		update-binfmts --enable qemu-aarch64 || die "qemu-aarch64 binfmt not registered (apt-get install qemu-user-static binfmt-support)"
	fi
}
