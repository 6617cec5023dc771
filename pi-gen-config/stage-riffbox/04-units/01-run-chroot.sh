#!/bin/bash -e
# Units are enabled by name, never by a preset, so the image says exactly what starts at boot.
systemctl enable riffbox-firstboot.service riffbox-bootconfig.service riffbox-server.service riffbox-client.service riffbox-admin.service
systemctl enable avahi-daemon.service NetworkManager.service
# ddclient runs only once the admin configures dynamic DNS (the helper enables it then).
systemctl disable ddclient.service
# NetworkManager owns the network (as on Raspberry Pi OS). Debian's systemd-networkd, enabled by its
# package, manages nothing here, so its wait-online job held network-online.target — and with it the
# riffbox units — for its whole 2-minute time-out at every boot (seen in the QEMU boot test).
if systemctl list-unit-files systemd-networkd.service >/dev/null 2>&1; then
	systemctl disable systemd-networkd.service systemd-networkd-wait-online.service
	systemctl disable systemd-networkd.socket 2>/dev/null || true
	systemctl mask systemd-networkd-wait-online.service
fi
# systemd-firstboot asks on the console for whatever the image left unset, and boot waits for
# the answer. A rehearsal box has nobody at its console; the image sets locale, keymap and time
# zone itself. (It was also what held the QEMU boot test: it waits for the console, where the
# test's debug shell runs.)
systemctl mask systemd-firstboot.service
