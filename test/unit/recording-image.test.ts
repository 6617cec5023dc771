// The recorder's paths and the root helper's verbs as the image declares them agree with the code that uses
// them: the recordings folder and the USB mount point in tmpfiles.d and the units, the verbs in the helper's
// wrapper, its sudoers drop-in and its dispatcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECORDING_DIR_MODE, USB_MOUNT_POINT, recordingsBeside } from '../../appliance/src/recorder/recorder-facts.js';
import { DEFAULT_DB_PATH } from '../../appliance/src/settings/cli-overrides.js';
import { VERBS } from '../../webadmin/src/apply/main.js';

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

test("the helper's verbs are the same in its wrapper, its sudoers drop-in and its dispatcher", () => {
  const wrapper = /^VERBS="([^"]+)"$/m.exec(read('usr/local/sbin/riffbox-apply'))![1]!.split(' ');
  assert.deepEqual(wrapper, [...VERBS]);
  const sudoers = [...read('etc/sudoers.d/riffbox').matchAll(/riffbox-apply ([a-z-]+)/g)].map((m) => m[1]);
  // network-revert-due is the helper's own timer, never the admin's to call.
  assert.deepEqual(sudoers, VERBS.filter((v) => v !== 'network-revert-due'));
  assert.ok(sudoers.includes('usb-mount') && sudoers.includes('usb-unmount'));
});
