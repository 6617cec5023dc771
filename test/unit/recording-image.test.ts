// The recorder's paths and the root helper's verbs as the image declares them agree with the code that uses
// them: the recordings folder and the USB mount point in tmpfiles.d and the units, the stick's verbs where the
// admin may ask for them (test/unit/admin-privilege.test.ts keeps the whole verb lists equal).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECORDING_DIR_MODE, USB_MOUNT_POINT, recordingsBeside } from '../../appliance/src/recorder/recorder-facts.js';
import { DEFAULT_DB_PATH } from '../../appliance/src/settings/cli-overrides.js';
import { ADMIN_VERBS } from '../../webadmin/src/apply/verbs.js';

const overlay = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'), 'overlays', 'rootfs');
const read = (p: string): string => readFileSync(join(overlay, p), 'utf8');

test('tmpfiles.d makes the recordings folder (setgid, group-writable) and the USB mount point', () => {
  const tmpfiles = read('etc/tmpfiles.d/riffbox.conf');
  assert.match(tmpfiles, new RegExp(`^d ${recordingsBeside(DEFAULT_DB_PATH)} ${RECORDING_DIR_MODE.toString(8)} riffbox riffbox -$`, 'm'));
  assert.match(tmpfiles, new RegExp(`^d ${USB_MOUNT_POINT} 0755 root root -$`, 'm'));
});

test('the server and the admin may write to the USB stick once it is mounted', () => {
  for (const unit of ['riffbox-server.service', 'riffbox-admin.service']) {
    const paths = (read(`etc/systemd/system/${unit}`).match(/^ReadWritePaths=(.*)$/m)?.[1] ?? '').split(/\s+/);
    assert.ok(paths.includes(`-${USB_MOUNT_POINT}`), `${unit}: ${paths.join(' ')}`);
  }
});

test('the admin may ask the root helper to mount and unmount the stick (polkit, wrapper, dispatcher)', () => {
  assert.ok(ADMIN_VERBS.includes('usb-mount') && ADMIN_VERBS.includes('usb-unmount'));
  const rules = read('etc/polkit-1/rules.d/50-riffbox.rules');
  const wrapper = /^VERBS="([^"]+)"$/m.exec(read('usr/local/sbin/riffbox-apply'))![1]!.split(' ');
  for (const v of ['usb-mount', 'usb-unmount']) {
    assert.ok(rules.includes(`'${v}'`), `${v} in the polkit rule`);
    assert.ok(wrapper.includes(v), `${v} in the wrapper`);
  }
});
