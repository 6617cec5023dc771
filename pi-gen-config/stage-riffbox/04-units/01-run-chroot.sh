#!/bin/bash -e
# Units are enabled by name, never by a preset, so the image says exactly what starts at boot.
systemctl enable riffbox-firstboot.service riffbox-server.service riffbox-client.service riffbox-admin.service
systemctl enable avahi-daemon.service NetworkManager.service
# ddclient runs only once the admin configures dynamic DNS (the helper enables it then).
systemctl disable ddclient.service
