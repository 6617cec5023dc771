// riffbox.txt, the owner's way in through the card: the root helper's boot-config verb run from a
// checkout (the "card" is ROOT/boot/firmware/riffbox.txt, as riffbox-bootconfig.service reads
// /boot/firmware/riffbox.txt on the box), against the real admin and its store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdminHttp } from '../browser/admin-http.js';
import { startAdmin, type AdminInstance } from '../browser/admin-instance.js';
import { Helper } from '../../webadmin/src/helper.js';
import { parseBootFile, withValue } from '../../webadmin/src/apply/boot-file.js';
import { BOOT_FILE, CONSOLE_ISSUE, SHELL_USER_FILE } from '../../webadmin/src/box-paths.js';
import { verifyPassword } from '../../webadmin/src/security/password.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHq0yP8bVqk3m1Kx9cP6zW3n0bq8j2d3YlZ0cQ2bLr7e owner@laptop';

const card = (a: AdminInstance): string => join(a.root, BOOT_FILE);
const readCard = (a: AdminInstance): string => readFileSync(card(a), 'utf8');

/** What riffbox-bootconfig.service does at a boot, from the checkout. */
async function boot(a: AdminInstance): Promise<string> {
  const r = await new Helper({ kind: 'checkout', root: a.root, db: a.db }).runCheckout('boot-config');
  assert.ok(r.ok, r.output);
  return r.output;
}

test('riffbox.txt: read as Windows writes it, rewritten keeping the owner\'s lines, one dated note per key', () => {
  const windows = '\uFEFF# my notes\r\nadmin_password = secret words \r\nclaim_code=\r\nmy_own_line=1\r\nadmin_password=again\r\n';
  assert.deepEqual(parseBootFile(windows), { admin_password: 'again', claim_code: '', ssh_authorized_key: '' });
  const once = withValue(windows, 'admin_password', '', 'was taken on D1');
  assert.equal(once, '# my notes\r\n# riffbox: admin_password was taken on D1\r\nadmin_password=\r\nclaim_code=\r\nmy_own_line=1\r\n');
  const twice = withValue(once, 'admin_password', '', 'was taken on D2');
  assert.equal((twice.match(/# riffbox: admin_password/g) ?? []).length, 1, 'the note is replaced, not piled up');
  assert.match(withValue('x=1\n', 'claim_code', 'ABCD', 'issued'), /^x=1\n# riffbox: claim_code issued\nclaim_code=ABCD\n$/);
});

test('an unclaimed box: a code on the card and the console, the same one at every boot until it is used', async () => {
  const a = await startAdmin();
  try {
    const code = a.claimCode();
    assert.match(code, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    assert.equal(await verifyPassword(code, a.adminStore.auth().claimCodeHash), true, 'the store holds its hash');
    assert.ok(!readFileSync(a.adminStore.path).toString('latin1').includes(code), 'and never the code itself');
    assert.equal(statSync(card(a)).mode & 0o777, 0o600, 'from a checkout the card file is the owner\'s only');
    assert.match(readFileSync(join(a.root, CONSOLE_ISSUE), 'utf8'), new RegExp(code));
    const out = await boot(a);
    assert.match(out, new RegExp(`riffbox claim code: ${code}`), 'printed on the terminal of a checkout');
    assert.equal(a.claimCode(), code, 'a reboot keeps the code');
    rmSync(card(a));
    await boot(a);
    const fresh = a.claimCode();
    assert.notEqual(fresh, code, 'a deleted riffbox.txt comes back with a new code');
    assert.match(readCard(a), /^admin_password=$/m, 'from the template');
    assert.equal(await verifyPassword(code, a.adminStore.auth().claimCodeHash), false, 'the old code is void');
  } finally {
    await a.stop();
  }
});

test('admin_password= from the card: taken at boot, removed from the file, every session ended (first boot or recovery)', async () => {
  const a = await startAdmin();
  try {
    const owner = new AdminHttp(a.base);
    assert.equal((await owner.setup('first password', a.claimCode())).status, 303);
    const epoch = a.adminStore.auth().sessionEpoch;
    // The owner forgot it: edits the card on a Windows machine and boots.
    writeFileSync(card(a), `\uFEFF${readCard(a).replace(/\n/g, '\r\n').replace('admin_password=\r\n', 'admin_password= remembered at last \r\n')}`);
    await boot(a);
    const text = readCard(a);
    assert.doesNotMatch(text, /remembered at last/, 'the password is gone from the card');
    assert.match(text, /^# riffbox: admin_password was taken on \d{4}-\d\d-\d\d \d\d:\d\d UTC and removed from this file; every browser was logged out\r$/m);
    assert.match(text, /\r\n/, 'line ends kept');
    assert.equal(await verifyPassword('remembered at last', a.adminStore.auth().passwordHash), true);
    assert.ok(a.adminStore.auth().sessionEpoch > epoch);
    assert.equal((await owner.get('/server')).status, 303, 'the old session ended');
    assert.equal((await new AdminHttp(a.base, '127.0.0.2').login('remembered at last')).status, 303);

    writeFileSync(card(a), readCard(a).replace('admin_password=\r\n', 'admin_password=short\r\n'));
    await boot(a);
    assert.match(readCard(a), /^# riffbox: admin_password was NOT taken on .*: it must have 8 to 256 characters\r$/m);
    assert.match(readCard(a), /^admin_password=\r$/m);
    assert.equal(await verifyPassword('remembered at last', a.adminStore.auth().passwordHash), true, 'the password stays');
  } finally {
    await a.stop();
  }
});

test('a password on the card before the first start: the box starts claimed, with no code anywhere', async () => {
  const a = await startAdmin();
  try {
    writeFileSync(card(a), readCard(a).replace('admin_password=\n', 'admin_password=set before first boot\n'));
    await boot(a);
    assert.equal(await verifyPassword('set before first boot', a.adminStore.auth().passwordHash), true);
    assert.match(readCard(a), /^claim_code=$/m, 'no code once claimed');
    assert.throws(() => readFileSync(join(a.root, CONSOLE_ISSUE)), /ENOENT/, 'nothing on the console');
    const web = new AdminHttp(a.base);
    assert.equal((await web.get('/setup')).headers.get('location'), '/login');
    assert.equal((await web.login('set before first boot')).status, 303);
  } finally {
    await a.stop();
  }
});

test('ssh_authorized_key=: installed for the shell user, once; a line that is not a key is refused with a note', async () => {
  const a = await startAdmin();
  try {
    mkdirSync(join(a.root, 'etc/riffbox'), { recursive: true });
    writeFileSync(join(a.root, SHELL_USER_FILE), 'pi\n');
    writeFileSync(card(a), readCard(a).replace('ssh_authorized_key=\n', `ssh_authorized_key=${KEY}\n`));
    await boot(a);
    const keys = join(a.root, 'home/pi/.ssh/authorized_keys');
    assert.equal(readFileSync(keys, 'utf8'), `${KEY}\n`);
    assert.equal(statSync(keys).mode & 0o777, 0o600);
    assert.match(readCard(a), /^# riffbox: ssh_authorized_key was installed for user pi on .*: ssh pi@<box>\.local$/m);
    assert.match(readCard(a), /^ssh_authorized_key=$/m);
    writeFileSync(card(a), readCard(a).replace('ssh_authorized_key=\n', `ssh_authorized_key=${KEY}\n`));
    await boot(a);
    assert.equal(readFileSync(keys, 'utf8'), `${KEY}\n`, 'the same key is not added twice');
    writeFileSync(card(a), readCard(a).replace('ssh_authorized_key=\n', 'ssh_authorized_key=command="rm -rf /" ssh-ed25519 AAAA\n'));
    await boot(a);
    assert.match(readCard(a), /^# riffbox: ssh_authorized_key was NOT installed on .*: not one public key line/m);
    assert.equal(readFileSync(keys, 'utf8'), `${KEY}\n`);
  } finally {
    await a.stop();
  }
});
