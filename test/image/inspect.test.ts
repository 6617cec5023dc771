// What must be inside a built riffbox image, read straight from the image file (no boot).
// Runs when deploy/riffbox-offline.img (or RIFFBOX_IMAGE) exists, and skips with a message
// otherwise; build one with `sudo image/build-offline`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageReader, isAarch64Elf } from './image-reader.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const imagePath = process.env.RIFFBOX_IMAGE ?? join(repo, 'deploy', 'riffbox-offline.img');
const haveTools = ['sfdisk', 'debugfs', 'mdir'].every((t) =>
  ['/usr/sbin', '/sbin', '/usr/bin', '/bin'].some((d) => existsSync(join(d, t))));
const skip = !existsSync(imagePath)
  ? `no image at ${imagePath}; build one with "sudo image/build-offline"`
  : !haveTools ? 'needs sfdisk, debugfs (e2fsprogs) and mtools' : false;

const WANTS = '/etc/systemd/system/multi-user.target.wants';
const RIFFBOX_UNITS = ['riffbox-firstboot', 'riffbox-bootconfig', 'riffbox-server', 'riffbox-client', 'riffbox-admin', 'riffbox-governor'];

test('built image contents', { skip }, async (t) => {
  const img = new ImageReader(imagePath);

  await t.test('two partitions laid out like pi-gen: FAT bootfs at 8 MiB, then ext4 rootfs', () => {
    assert.equal(img.partitions[0]!.start, 8 * 1024 * 1024);
    assert.equal(img.partitions[0]!.type, 'c');
    assert.equal(img.partitions[1]!.type, '83');
    assert.equal(img.partitions[1]!.start, img.partitions[0]!.start + img.partitions[0]!.size);
  });

  await t.test('bootfs has the kernel, initrd and Raspberry Pi firmware config', () => {
    const names = img.bootList();
    for (const pattern of [/^vmlinuz/, /^initrd\.img/, /^config\.txt$/, /^cmdline\.txt$/, /^start4\.elf$/]) {
      assert.ok(names.some((n) => pattern.test(n)), `${pattern} on bootfs (have: ${names.join(' ')})`);
    }
    assert.match(img.bootRead('cmdline.txt'), /root=(LABEL=rootfs|PARTUUID=\S+-02)/);
    assert.ok(!names.includes('ssh') && !names.includes('ssh.txt'), 'no bootfs file that turns SSH on at first boot');
    const txt = img.bootRead('riffbox.txt');
    for (const key of ['admin_password=', 'claim_code=', 'ssh_authorized_key=']) assert.match(txt, new RegExp(`^${key}$`, 'm'), `riffbox.txt has an empty ${key}`);
    assert.doesNotMatch(txt, /@SHELL_USER@/, 'the shell user is named');
  });

  await t.test('riffbox units are enabled through multi-user.target.wants symlinks', () => {
    for (const unit of RIFFBOX_UNITS) {
      const link = img.stat(`${WANTS}/${unit}.service`);
      assert.equal(link?.type, 'symlink', `${unit} enabled`);
      assert.equal(link?.linkTarget, `/etc/systemd/system/${unit}.service`);
      assert.equal(img.stat(`/etc/systemd/system/${unit}.service`)?.mode, 0o644);
    }
    for (const unit of ['avahi-daemon.service', 'NetworkManager.service']) {
      assert.equal(img.stat(`${WANTS}/${unit}`)?.type, 'symlink', `${unit} enabled`);
    }
  });

  await t.test('ssh is installed but not enabled', () => {
    const wants = img.list(WANTS);
    assert.ok(!wants.some((n) => /^sshd?\.service$/.test(n)), `ssh enabled: ${wants.join(' ')}`);
    const sockets = img.stat('/etc/systemd/system/sockets.target.wants') ? img.list('/etc/systemd/system/sockets.target.wants') : [];
    assert.ok(!sockets.includes('ssh.socket'), 'ssh.socket enabled');
    assert.deepEqual(img.list('/etc/ssh').filter((n) => n.startsWith('ssh_host_')), [], 'no host keys baked into the image');
  });

  await t.test('riffbox user: system account, no login, in the audio group', () => {
    const passwd = img.readText('/etc/passwd').split('\n').map((l) => l.split(':'));
    const user = passwd.find((f) => f[0] === 'riffbox');
    assert.ok(user, 'riffbox in /etc/passwd');
    assert.ok(Number(user[2]) < 1000, 'system uid');
    assert.match(user[6] ?? '', /nologin$/);
    const audio = img.readText('/etc/group').split('\n').find((l) => l.startsWith('audio:'));
    assert.ok(audio?.split(':')[3]?.split(',').includes('riffbox'), `audio group: ${audio}`);
  });

  await t.test('no account has a usable password', () => {
    const shadow = img.readText('/etc/shadow').split('\n').filter(Boolean).map((l) => l.split(':'));
    const usable = shadow.filter((f) => !/^[!*]/.test(f[1] ?? '') && (f[1] ?? '') !== '');
    const empty = shadow.filter((f) => (f[1] ?? '') === '');
    assert.deepEqual(usable.map((f) => f[0]), [], 'accounts with a password hash');
    assert.deepEqual(empty.map((f) => f[0]), [], 'accounts with an empty password');
  });

  await t.test('the app is in /opt/riffbox with production dependencies only', () => {
    assert.equal(img.stat('/opt/riffbox/package.json')?.type, 'regular');
    assert.equal(img.stat('/opt/riffbox/dist/appliance/src/cli.js')?.type, 'regular', 'compiled CLI present');
    const modules = img.list('/opt/riffbox/node_modules');
    for (const dep of ['better-sqlite3', 'express', 'nunjucks', 'htmx.org']) assert.ok(modules.includes(dep), `${dep} installed`);
    for (const dev of ['typescript', 'eslint', 'node-gyp', 'node-addon-api', 'playwright-core']) {
      assert.ok(!modules.includes(dev), `development dependency ${dev} shipped`);
    }
    assert.equal(img.stat('/usr/local/bin/riffbox')?.mode, 0o755);
  });

  await t.test('native modules are aarch64 ELF', () => {
    for (const path of ['/opt/riffbox/appliance/native/build/Release/riffbox_native.node',
      '/opt/riffbox/node_modules/better-sqlite3/build/Release/better_sqlite3.node']) {
      assert.ok(isAarch64Elf(img.read(path).subarray(0, 64)), `${path} is aarch64 ELF`);
    }
  });

  await t.test("the addon carries its own opus, not trixie's libopus 1.5.2 (which segfaults in custom mode)", () => {
    const addon = img.read('/opt/riffbox/appliance/native/build/Release/riffbox_native.node');
    assert.ok(!addon.includes('libopus.so'), 'riffbox_native.node links a shared libopus');
    assert.ok(addon.includes('libopus 1.3.1'), 'the bundled opus version string is compiled in');
  });

  await t.test('first boot cannot enable units or stop for console prompts', () => {
    const preset = img.readText('/etc/systemd/system-preset/00-riffbox.preset');
    assert.match(preset, /^disable \*$/m, 'the preset ends the default "enable everything"');
    for (const unit of RIFFBOX_UNITS) assert.match(preset, new RegExp(`^enable ${unit}\\.service$`, 'm'));
    const firstboot = img.stat('/etc/systemd/system/systemd-firstboot.service');
    assert.equal(firstboot?.linkTarget, '/dev/null', 'systemd-firstboot masked');
  });

  await t.test('build leftovers are gone: no compilers, no build tree', () => {
    assert.equal(img.stat('/var/tmp/riffbox-build'), undefined);
    assert.equal(img.stat('/usr/include/opus/opus_custom.h'), undefined, 'libopus-dev removed');
    assert.equal(img.stat('/usr/include/node'), undefined, 'libnode-dev removed');
    assert.equal(img.stat('/usr/bin/g++'), undefined, 'g++ removed');
    assert.equal(img.stat('/usr/sbin/policy-rc.d'), undefined);
  });

  await t.test('udev rule, avahi service and sudoers drop-ins are installed with safe modes', () => {
    assert.equal(img.stat('/etc/udev/rules.d/90-riffbox-usb-audio.rules')?.mode, 0o644);
    assert.match(img.readText('/etc/avahi/services/riffbox-admin.service'), /<type>_http\._tcp<\/type>/);
    const sudoers = img.stat('/etc/sudoers.d') ? img.list('/etc/sudoers.d') : [];
    for (const name of sudoers) assert.equal(img.stat(`/etc/sudoers.d/${name}`)?.mode, 0o440, `/etc/sudoers.d/${name}`);
    assert.equal(img.readText('/etc/hostname').trim(), 'riffbox');
  });

  await t.test("the admin's user, its polkit rule and its root helper's unit; no sudo for the services", () => {
    const passwd = img.readText('/etc/passwd').split('\n').map((l) => l.split(':'));
    const admin = passwd.find((f) => f[0] === 'riffbox-admin');
    assert.ok(admin && Number(admin[2]) < 1000 && /nologin$/.test(admin[6] ?? ''), 'riffbox-admin: system account, no login');
    const riffboxGroup = img.readText('/etc/group').split('\n').find((l) => l.startsWith('riffbox:'));
    assert.ok(riffboxGroup?.split(':')[3]?.split(',').includes('riffbox-admin'), `riffbox group: ${riffboxGroup}`);
    assert.match(img.readText('/etc/polkit-1/rules.d/50-riffbox.rules'), /riffbox-apply@/);
    assert.equal(img.stat('/etc/systemd/system/riffbox-apply@.service')?.mode, 0o644);
    assert.equal(img.stat('/etc/sudoers.d/riffbox'), undefined, 'no sudoers entry for the admin');
    const shellUser = img.readText('/etc/riffbox/shell-user').trim();
    assert.ok(passwd.some((f) => f[0] === shellUser), `the shell user ${shellUser} exists`);
    const tmpfiles = img.readText('/etc/tmpfiles.d/riffbox.conf');
    assert.match(tmpfiles, /^d \/var\/lib\/riffbox-apply 0700 root root/m);
    assert.match(tmpfiles, /^d \/run\/riffbox-apply 0750 root riffbox-admin/m);
    const fstab = img.readText('/etc/fstab');
    assert.match(fstab, /\/boot\/firmware\s+vfat\s+\S*fmask=0077,dmask=0077/, 'the boot partition is root-only on the box');
  });
});
