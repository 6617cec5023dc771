// What the admin may do as root, and what the server may not do to the admin (issue 11): the
// admin runs without privileges and reaches the OS only through riffbox-apply@VERB.service, which
// the polkit rule allows for the fixed verbs only; its secrets live in a store that the server's
// user cannot open. The rule and the units are checked as files; the rule is also run (it is
// JavaScript) against the requests that must pass and those that must not; and, as root, real
// processes with the two users' ids show the store closed to the server and settings.db shared.
import { USB_MOUNT_POINT } from '../../appliance/src/recorder/recorder-facts.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { ADMIN_VERBS, SYSTEM_VERBS, VERBS } from '../../webadmin/src/apply/verbs.js';
import { ADMIN_STATE_DIR, ADMIN_USER, HELPER_OUTPUT_DIR } from '../../webadmin/src/box-paths.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const overlay = join(repo, 'overlays', 'rootfs');
const unitsDir = join(overlay, 'etc/systemd/system');
const unit = (n: string): string => readFileSync(join(unitsDir, n), 'utf8');
const directive = (text: string, key: string): string[] => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
const RULES = join(overlay, 'etc/polkit-1/rules.d/50-riffbox.rules');

test('one list of verbs: the TypeScript declaration, the bash wrapper and the polkit rule agree', () => {
  const wrapper = readFileSync(join(overlay, 'usr/local/sbin/riffbox-apply'), 'utf8');
  const bashVerbs = /^VERBS="([^"]+)"$/m.exec(wrapper)?.[1]?.split(' ') ?? [];
  assert.deepEqual([...bashVerbs].sort(), [...VERBS].sort());
  const rules = readFileSync(RULES, 'utf8');
  const listed = /var verbs = \[([^\]]+)\]/.exec(rules)?.[1]?.match(/'([a-z-]+)'/g)?.map((v) => v.slice(1, -1)) ?? [];
  assert.deepEqual([...listed].sort(), [...ADMIN_VERBS].sort());
});

/** Runs the shipped rule the way polkitd does (it is plain ES5), for one request. */
function polkitAnswer(actionId: string, user: string, details: Record<string, string>): string {
  const rules: ((action: unknown, subject: unknown) => unknown)[] = [];
  const polkit = { Result: { YES: 'yes', NO: 'no', AUTH_ADMIN: 'auth_admin', NOT_HANDLED: 'not_handled' }, addRule: (f: (a: unknown, s: unknown) => unknown) => rules.push(f) };
  runInNewContext(readFileSync(RULES, 'utf8'), { polkit });
  const action = { id: actionId, lookup: (k: string) => details[k] };
  const subject = { user, local: true, active: true };
  for (const r of rules) {
    const v = r(action, subject);
    if (v !== undefined && v !== 'not_handled') return String(v);
  }
  return 'not_handled';
}

test('the polkit rule lets riffbox-admin start exactly the admin verbs, and nothing else', () => {
  const manage = 'org.freedesktop.systemd1.manage-units';
  for (const verb of ADMIN_VERBS) {
    assert.equal(polkitAnswer(manage, ADMIN_USER, { unit: `riffbox-apply@${verb}.service`, verb: 'start' }), 'yes', verb);
  }
  const refused: [string, string, Record<string, string>][] = [
    ...SYSTEM_VERBS.map((v): [string, string, Record<string, string>] => [manage, ADMIN_USER, { unit: `riffbox-apply@${v}.service`, verb: 'start' }]),
    [manage, ADMIN_USER, { unit: 'riffbox-apply@logs.service', verb: 'stop' }],
    [manage, ADMIN_USER, { unit: 'riffbox-apply@logs.service', verb: 'restart' }],
    [manage, ADMIN_USER, { unit: 'riffbox-server.service', verb: 'start' }],
    [manage, ADMIN_USER, { unit: 'ssh.service', verb: 'start' }],
    [manage, ADMIN_USER, { unit: 'riffbox-apply@logs.service.d', verb: 'start' }],
    [manage, ADMIN_USER, { unit: 'riffbox-apply@x\\x2flogs.service', verb: 'start' }],
    [manage, ADMIN_USER, { unit: 'riffbox-apply@logs.timer', verb: 'start' }],
    [manage, 'riffbox', { unit: 'riffbox-apply@logs.service', verb: 'start' }],
    ['org.freedesktop.systemd1.manage-unit-files', ADMIN_USER, {}],
    ['org.freedesktop.login1.reboot', ADMIN_USER, {}],
  ];
  for (const [id, user, details] of refused) assert.equal(polkitAnswer(id, user, details), 'not_handled', `${id} ${user} ${JSON.stringify(details)}`);
});

test('the admin unit: its own user and 0700 state, no privileges, nothing writable but the shared settings and recordings', () => {
  const admin = unit('riffbox-admin.service');
  assert.deepEqual(directive(admin, 'User'), [ADMIN_USER]);
  assert.deepEqual(directive(admin, 'Group'), ['riffbox']);
  assert.deepEqual(directive(admin, 'StateDirectory'), [ADMIN_STATE_DIR.replace('/var/lib/', '')]);
  assert.deepEqual(directive(admin, 'StateDirectoryMode'), ['0700']);
  assert.deepEqual(directive(admin, 'NoNewPrivileges'), ['yes']);
  // The recordings live under /var/lib/riffbox, or on the USB stick mounted at USB_MOUNT_POINT.
  assert.deepEqual(directive(admin, 'ReadWritePaths').flatMap((v) => v.split(/\s+/)), ['/var/lib/riffbox', `-${USB_MOUNT_POINT}`], 'no /etc, no sudo state');
  assert.ok(!readdirSync(join(overlay, 'etc')).includes('sudoers.d') || readdirSync(join(overlay, 'etc/sudoers.d')).length === 0, 'no sudoers drop-in');
  for (const n of ['riffbox-server.service', 'riffbox-client.service']) {
    assert.deepEqual(directive(unit(n), 'User'), ['riffbox'], n);
    assert.ok(!unit(n).includes(ADMIN_STATE_DIR), `${n} names nothing of the admin's`);
  }
  const helper = unit('riffbox-apply@.service');
  assert.deepEqual(directive(helper, 'ExecStart'), ['/usr/local/sbin/riffbox-apply %i']);
  assert.deepEqual(directive(helper, 'StandardOutput'), [`truncate:${HELPER_OUTPUT_DIR}/%i.out`]);
  const boot = unit('riffbox-bootconfig.service');
  assert.deepEqual(directive(boot, 'ExecStart'), ['/usr/local/sbin/riffbox-apply boot-config']);
  assert.match(directive(boot, 'Before').join(' '), /riffbox-server\.service/, 'secrets leave settings.db before the server starts');
  assert.match(directive(boot, 'Before').join(' '), /getty-pre\.target/, 'the code is on the console before its prompt');
});

test("tmpfiles.d makes the helper's directories: its output readable by the admin's group only, its state root's", () => {
  const tmpfiles = readFileSync(join(overlay, 'etc/tmpfiles.d/riffbox.conf'), 'utf8');
  assert.match(tmpfiles, new RegExp(`^d ${HELPER_OUTPUT_DIR} 0750 root ${ADMIN_USER} -$`, 'm'));
  // The boot unit opens the admin's store (as its user) before the admin's unit has made its StateDirectory.
  assert.match(tmpfiles, new RegExp(`^d ${ADMIN_STATE_DIR} 0700 ${ADMIN_USER} riffbox -$`, 'm'));
  // Every /var directory the helper keeps a file in (declared as module constants).
  const applyDir = join(repo, 'webadmin', 'src', 'apply');
  const varDirs = new Set<string>();
  for (const name of readdirSync(applyDir).filter((n) => n.endsWith('.ts'))) {
    for (const m of readFileSync(join(applyDir, name), 'utf8').matchAll(/^const \w+ = '(\/var\/[^']+)'/gm)) varDirs.add(dirname(m[1]!));
  }
  assert.ok(varDirs.has('/var/lib/riffbox-apply'), `found the helper's state paths (${[...varDirs].join(' ')})`);
  for (const dir of varDirs) assert.match(tmpfiles, new RegExp(`^d ${dir} 0700 root root`, 'm'), `tmpfiles.d makes ${dir}`);
});

test('systemd-analyze security: exposure of every riffbox unit (the admin at most 2.5)', () => {
  const scores: Record<string, number> = {};
  for (const name of readdirSync(unitsDir).filter((n) => n.startsWith('riffbox-') && n.endsWith('.service'))) {
    const text = securityReport(join(unitsDir, name));
    const m = /Overall exposure level for \S+: (\d+\.\d+)/.exec(text);
    assert.ok(m, `${name}: ${text.slice(-300)}`);
    scores[name] = Number(m[1]);
  }
  console.log(`systemd-analyze security --offline=yes: ${Object.entries(scores).map(([n, s]) => `${n} ${s}`).join(', ')}`);
  assert.ok(scores['riffbox-admin.service']! <= 2.5, `admin exposure ${scores['riffbox-admin.service']}`);
});

/** `systemd-analyze security` of one unit file; a template is scored as one of its instances. */
function securityReport(path: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'riffbox-sec-'));
  try {
    const target = path.endsWith('@.service') ? join(dir, basename(path).replace('@.service', '@logs.service')) : path;
    if (target !== path) cpSync(path, target);
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', target], { encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const asRoot = process.getuid?.() === 0 ? false : 'needs root to run processes as other users';

test("as the two users: the server's user cannot open the admin's store; both write settings.db; the admin reads the JSON-RPC secret", { skip: asRoot }, () => {
  // Unused ids stand for riffbox (server) and riffbox-admin, with the shared group riffbox.
  const SERVER = 64901;
  const ADMIN = 64902;
  const SHARED = 64900;
  const base = mkdtempSync(join(tmpdir(), 'riffbox-users-'));
  try {
    chmodSync(base, 0o755);
    const shared = join(base, 'var/lib/riffbox');
    const own = join(base, 'var/lib/riffbox-admin');
    mkdirSync(shared, { recursive: true });
    mkdirSync(own, { recursive: true });
    chmodSync(join(base, 'var'), 0o755);
    chmodSync(join(base, 'var/lib'), 0o755);
    chownSync(shared, SERVER, SHARED);
    chmodSync(shared, 0o770);
    chownSync(own, ADMIN, SHARED);
    chmodSync(own, 0o700);
    const settingsDb = join(shared, 'settings.db');
    const adminDb = join(own, 'admin.db');
    const dist = join(repo, 'dist');
    const node = (uid: number, script: string, input = ''): { status: number | null; out: string } => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid, gid: SHARED, input, encoding: 'utf8', cwd: '/', env: { PATH: process.env.PATH } });
      return { status: r.status, out: `${r.stdout}${r.stderr}` };
    };
    // The services' user creates settings.db and the JSON-RPC secret first, as riffbox-firstboot does.
    const first = node(SERVER, `process.umask(0o007); const { SettingsStore } = await import('${dist}/appliance/src/settings/index.js');
      const { ensureSecretFile } = await import('${dist}/appliance/src/control/secret.js');
      const s = SettingsStore.open('${settingsDb}'); s.update({ 'server.name': 'from server' }); s.close();
      ensureSecretFile('${join(shared, 'jsonrpc.secret')}');`);
    assert.equal(first.status, 0, first.out);
    // The admin's store operation, as the root helper runs it at boot (admin-store-op.js as riffbox-admin).
    const op = spawnSync(process.execPath, [join(dist, 'webadmin/src/apply/admin-store-op.js')], {
      uid: ADMIN, gid: SHARED, encoding: 'utf8', cwd: '/', env: { PATH: process.env.PATH },
      input: JSON.stringify({ settingsDb, adminDb, request: { op: 'set-password', hash: 'scrypt$32768$8$1$c2FsdA$a2V5' } }),
    });
    assert.equal(op.status, 0, op.stderr);
    assert.equal(JSON.parse(op.stdout).claimed, true);
    const secret = node(ADMIN, `const { readSecretFile } = await import('${dist}/appliance/src/control/secret.js'); readSecretFile('${join(shared, 'jsonrpc.secret')}');`);
    assert.equal(secret.status, 0, `the admin reads the JSON-RPC secret: ${secret.out}`);
    // The admin saves a DDNS password and a setting, as the page does.
    const save = node(ADMIN, `process.umask(0o007); const { openAdminStores } = await import('${dist}/webadmin/src/security/open-stores.js');
      const st = openAdminStores('${settingsDb}', '${adminDb}');
      st.settings.update({ 'ddns.provider': 'noip', 'ddns.username': 'u', 'ddns.password': 'admins-only-secret', 'server.city': 'Lyon' }); st.close();`);
    assert.equal(save.status, 0, save.out);
    // The server, again: it reads and writes settings.db, but the admin's store is closed to it.
    const probe = node(SERVER, `const { SettingsStore } = await import('${dist}/appliance/src/settings/index.js');
      const Database = (await import('node:module')).createRequire('${dist}/')('better-sqlite3');
      const s = SettingsStore.open('${settingsDb}'); s.setMixEntry('friend', { fader: 40 });
      const f = s.getFlat(); s.close();
      let store = 'opened';
      try { new Database('${adminDb}', { readonly: true, fileMustExist: true }).prepare('SELECT * FROM auth').all(); } catch (e) { store = e.code ?? e.message; }
      console.log(JSON.stringify({ city: f['server.city'], password: f['ddns.password'], store }));`);
    assert.equal(probe.status, 0, probe.out);
    const seen = JSON.parse(probe.out.trim().split('\n').pop()!) as { city: string; password: string; store: string };
    assert.equal(seen.city, 'Lyon', 'the server reads what the admin saved');
    assert.equal(seen.password, '', 'the server sees no DDNS password');
    assert.match(seen.store, /CANTOPEN|EACCES/, `the server opening the admin's store: ${seen.store}`);
    assert.ok(!readFileSync(settingsDb).includes('admins-only-secret'), 'no secret in settings.db');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
