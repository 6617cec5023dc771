#!/bin/bash -e
# The services' own system user: no login, no home to write, and the audio group for ALSA.
if ! id -u riffbox >/dev/null 2>&1; then
	useradd --system --user-group --home-dir /var/lib/riffbox --no-create-home \
		--shell /usr/sbin/nologin --comment "riffbox services" riffbox
fi
usermod --append --groups audio riffbox
# The admin page's user: apart from the services, so the internet-facing server cannot open the
# admin's secrets (/var/lib/riffbox-admin, 0700). Its unit runs it with group riffbox (the shared
# settings) and its own group riffbox-admin (the root helper's output in /run/riffbox-apply).
if ! id -u riffbox-admin >/dev/null 2>&1; then
	useradd --system --user-group --home-dir /var/lib/riffbox-admin --no-create-home \
		--shell /usr/sbin/nologin --comment "riffbox admin page" riffbox-admin
fi
usermod --append --groups riffbox riffbox-admin
# pi-gen's first user got a random, unrecorded password at build time (image/build); lock it so
# that no password logs in. An owner who wants a shell adds an SSH key through riffbox.txt.
usermod --lock "${FIRST_USER_NAME:?pi-gen exports FIRST_USER_NAME}"
