#!/bin/bash
# Cheap settings pi-gen's stage0-2 make that the cached offline base lacks; applied to the base
# tree on every build (idempotent), so changing them does not rebuild the base.
#   image/lib/base-tweaks.sh ROOTFS_DIR
set -euo pipefail
ROOT="${1:?usage: base-tweaks.sh ROOTFS_DIR}"
# pi-gen's stage0 configures a locale. Without one, systemd-firstboot (the image boots with
# machine-id "uninitialized", as pi-gen's export leaves it) would stop the first boot to ask.
if [ ! -s "${ROOT}/etc/default/locale" ]; then
	echo "LANG=C.UTF-8" >"${ROOT}/etc/default/locale"
fi
# The same for the keymap: Debian points /etc/vconsole.conf at /etc/default/keyboard, which only
# keyboard-configuration (in pi-gen's stage0-2, not in the minbase) writes. With the link dangling,
# systemd-firstboot prompts for a keymap on the console and the boot waits forever.
if [ ! -e "${ROOT}/etc/vconsole.conf" ]; then
	cat >"${ROOT}/etc/default/keyboard" <<'KEYBOARD'
XKBMODEL="pc105"
XKBLAYOUT="us"
XKBVARIANT=""
XKBOPTIONS=""
BACKSPACE="guess"
KEYBOARD
fi
# pi-gen's stage1 creates the first user (FIRST_USER_NAME, default pi) with a home; our stage
# locks its password. The offline base makes the same user so the image has what a Pi's has.
# shellcheck source=pi-gen-config/config
source "$(dirname "$0")/../../pi-gen-config/config"
FIRST_USER="${FIRST_USER_NAME:-pi}"
if ! chroot "${ROOT}" id -u "${FIRST_USER}" >/dev/null 2>&1; then
	chroot "${ROOT}" useradd --create-home --shell /bin/bash --comment "" "${FIRST_USER}"
fi
