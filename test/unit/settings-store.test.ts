import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { SettingsStore, SettingsValidationError, SettingsDatabaseTooNewError } from '../../appliance/src/settings/store.js';
import { LATEST_VERSION, migrate } from '../../appliance/src/settings/migrations/index.js';
import { SETTING_KEYS } from '../../appliance/src/settings/schema.js';
import { openAdminStores, type AdminStores } from '../../webadmin/src/security/open-stores.js';

const dir = mkdtempSync(join(tmpdir(), 'riffbox-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dbPath = (): string => join(dir, `s${++n}.db`);

/** settings.db opened as the admin opens it: with its own store behind the secret settings. */
function openWithSecrets(): AdminStores & { store: SettingsStore } {
  const p = dbPath();
  const stores = openAdminStores(p, join(dir, `admin-${n}.db`));
  return Object.assign(stores, { store: stores.settings });
}

test('a new database: latest version, WAL, synchronous FULL, defaults', () => {
  const p = dbPath();
  const s = SettingsStore.open(p);
  try {
    const raw = new Database(p, { readonly: true });
    assert.equal(raw.pragma('user_version', { simple: true }), LATEST_VERSION);
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    raw.close();
    // synchronous is per connection: check the store's own.
    assert.equal((s as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true }), 2);
    const g = s.get();
    assert.equal(g.server.port, 22124);
    assert.equal(g.server.mode, 'private');
    assert.equal(g.server.maxClients, 10);
    assert.deepEqual(g.client.mix, {});
    assert.equal(s.revision(), 0);
  } finally {
    s.close();
  }
});

test('updates persist across reopen; unchanged values are not rewritten', () => {
  const p = dbPath();
  let s = SettingsStore.open(p);
  const r = s.update({ 'server.port': 22120, 'server.name': 'Band room', 'server.country': 82 });
  assert.deepEqual(r, { changed: ['server.port', 'server.name', 'server.country'], revision: 1 });
  assert.deepEqual(s.update({ 'server.port': 22120 }), { changed: [], revision: 1 });
  s.close();
  s = SettingsStore.open(p);
  assert.equal(s.get().server.port, 22120);
  assert.equal(s.get().server.name, 'Band room');
  assert.equal(s.revision(), 1);
  s.close();
});

test('an invalid update changes nothing, not even its valid fields', () => {
  const p = dbPath();
  const s = SettingsStore.open(p);
  try {
    s.update({ 'server.name': 'before' });
    const before = s.getFlat();
    const rev = s.revision();
    const at = s.updatedAt();
    for (const bad of [
      { 'server.port': 80, 'server.name': 'after' },
      { 'server.port': 70000 },
      { 'server.name': 'x'.repeat(200), 'server.city': 'Lyon' },
      { 'server.country': 9999, 'server.maxClients': 5 },
    ]) {
      assert.throws(() => s.update(bad), (e: unknown) => e instanceof SettingsValidationError && Object.keys(e.errors).length === 1);
    }
    assert.throws(() => s.updateText({ 'server.country': 'ZZ', 'server.city': 'Lyon' }), {
      message: 'Country: Unknown country "ZZ": not an ISO 3166-1 two-letter code riffbox knows',
    });
    assert.deepEqual(s.getFlat(), before);
    assert.equal(s.revision(), rev);
    assert.equal(s.updatedAt(), at);
  } finally {
    s.close();
  }
});

test('changedSince tells a reloading service which keys moved', () => {
  const s = SettingsStore.open(dbPath());
  try {
    s.update({ 'server.port': 22200 });
    const seen = s.revision();
    s.update({ 'server.welcome': 'hi', 'client.frames': 64 });
    s.setMixEntry('alice', { fader: 30 });
    assert.deepEqual(s.changedSince(seen), { revision: seen + 2, keys: ['server.welcome', 'client.frames', 'client.mix'] });
    assert.deepEqual(s.changedSince(s.revision()).keys, []);
    s.factoryReset();
    assert.deepEqual(s.changedSince(seen + 2).keys, SETTING_KEYS);
    assert.equal(s.get().server.port, 22124);
    assert.deepEqual(s.get().client.mix, {});
  } finally {
    s.close();
  }
});

test('mix entries: one row per musician, set and removed alone', () => {
  const s = SettingsStore.open(dbPath());
  try {
    s.update({ 'client.mix': { alice: { fader: 50 }, bob: { pan: 0 } } });
    s.setMixEntry('bob', { mute: true });
    s.setMixEntry('carol', { solo: true });
    assert.deepEqual(s.get().client.mix, {
      alice: { fader: 50, pan: 50, mute: false, solo: false },
      bob: { fader: 100, pan: 0, mute: true, solo: false },
      carol: { fader: 100, pan: 50, mute: false, solo: true },
    });
    assert.throws(() => s.setMixEntry('bob', { fader: -1 }), { message: 'Fader for "bob" must be between 0 and 100' });
    assert.throws(() => s.setMixEntry('a name that is far too long', { fader: 1 }), SettingsValidationError);
    s.removeMixEntry('alice');
    s.update({ 'client.mix': { carol: { solo: true } } });
    assert.deepEqual(Object.keys(s.get().client.mix), ['carol']);
  } finally {
    s.close();
  }
});

test('migration 1 → 2 moves the JSON mix of fixture rows into its table', () => {
  const p = dbPath();
  const raw = new Database(p);
  assert.equal(migrate(raw, 1), 1);
  raw.prepare('INSERT INTO settings (key, value, rev) VALUES (?, ?, ?)').run('server.port', '22120', 2);
  raw.prepare('INSERT INTO settings (key, value, rev) VALUES (?, ?, ?)').run('client.name', '"Box"', 1);
  raw.prepare('INSERT INTO settings (key, value, rev) VALUES (?, ?, ?)').run(
    'client.mix',
    JSON.stringify({ alice: { fader: 40, pan: 20, mute: true, solo: false }, bob: { fader: 999, pan: 'left' }, carol: {} }),
    3,
  );
  raw.prepare('UPDATE meta SET revision = 3').run();
  raw.close();

  const s = SettingsStore.open(p);
  try {
    const check = new Database(p, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), LATEST_VERSION);
    assert.equal(check.prepare(`SELECT count(*) FROM settings WHERE key = 'client.mix'`).pluck().get(), 0);
    check.close();
    const g = s.get();
    assert.equal(g.server.port, 22120);
    assert.equal(g.client.name, 'Box');
    assert.deepEqual(g.client.mix, {
      alice: { fader: 40, pan: 20, mute: true, solo: false },
      bob: { fader: 100, pan: 50, mute: false, solo: false },
      carol: { fader: 100, pan: 50, mute: false, solo: false },
    });
    assert.equal(s.revision(), 3);
    assert.deepEqual(s.changedSince(2).keys, ['client.mix']);
  } finally {
    s.close();
  }
});

test('a migration that fails leaves the database at its previous version', () => {
  const p = dbPath();
  const raw = new Database(p);
  migrate(raw, 1);
  // A table in the way makes step 2's CREATE TABLE fail halfway through the step.
  raw.exec('CREATE TABLE client_mix (x)');
  raw.prepare(`INSERT INTO settings (key, value, rev) VALUES ('client.mix', '{"a":{}}', 1)`).run();
  raw.close();
  assert.throws(() => SettingsStore.open(p), /client_mix already exists/);
  const after = new Database(p, { readonly: true });
  assert.equal(after.pragma('user_version', { simple: true }), 1);
  assert.equal(after.prepare(`SELECT count(*) FROM settings WHERE key = 'client.mix'`).pluck().get(), 1);
  const cols = (after.prepare('PRAGMA table_info(meta)').all() as { name: string }[]).map((c) => c.name);
  assert.ok(!cols.includes('mix_revision'));
  after.close();
});

test('a database from a newer riffbox is refused and left untouched', () => {
  const p = dbPath();
  const raw = new Database(p);
  raw.pragma(`user_version = ${LATEST_VERSION + 5}`);
  raw.exec('CREATE TABLE future (x)');
  raw.close();
  const bytes = readFileSync(p);
  assert.throws(() => SettingsStore.open(p), (e: unknown) => {
    assert.ok(e instanceof SettingsDatabaseTooNewError);
    assert.equal(e.message, `settings database is from a newer riffbox (version ${LATEST_VERSION + 5}); this image knows up to ${LATEST_VERSION}`);
    return true;
  });
  assert.deepEqual(readFileSync(p), bytes);
});

test('export/import round trip; secrets only when asked for, and only into the admin store', () => {
  const a = openWithSecrets();
  const b = openWithSecrets();
  try {
    a.store.update({
      'server.name': 'Studio', 'server.mode': 'public', 'server.directory': 'genre_jazz', 'client.mix': { al: { fader: 7 } },
      'ddns.enabled': true, 'ddns.provider': 'dyndns2', 'ddns.server': 'members.dyndns.org', 'ddns.host': 'box.example.org',
      'ddns.username': 'me', 'ddns.password': 'p4ssw0rd-secret',
    });
    const pub = a.store.export({ includeSecrets: false });
    const text = JSON.stringify(pub);
    assert.ok(!text.includes('p4ssw0rd-secret'));
    assert.ok(!('ddns.password' in pub.settings));
    assert.equal(pub.includesSecrets, false);

    const full = a.store.export({ includeSecrets: true });
    assert.equal(full.settings['ddns.password'], 'p4ssw0rd-secret');
    b.store.import(JSON.stringify(full));
    assert.deepEqual(b.store.getFlat(), a.store.getFlat());

    // A backup without secrets keeps the secrets already stored, even one that carries some
    // without saying so, and the admin's credentials of an old backup are never taken.
    b.store.update({ 'ddns.password': 'newer-secret' });
    b.store.import({ ...pub, settings: { ...pub.settings, 'ddns.password': 'smuggled', 'system.adminPasswordHash': 'scrypt$x', 'system.sessionSecret': 'x' } });
    assert.equal(b.store.getFlat()['ddns.password'], 'newer-secret');
    assert.equal(b.store.get().server.name, 'Studio');
    assert.equal(b.admin.auth().passwordHash, '');

    // settings.db itself never holds a secret: what the server and client can open.
    const raw = new Database(a.store.path, { readonly: true });
    assert.deepEqual(raw.prepare(`SELECT key FROM settings WHERE key LIKE 'ddns.pass%' OR key LIKE 'ddns.tok%' OR key LIKE 'system.%Secret' OR key LIKE 'system.%Hash'`).all(), []);
    raw.close();
    const server = SettingsStore.open(a.store.path);
    assert.equal(server.getFlat()['ddns.password'], '', 'without the admin store secrets read as empty');
    assert.throws(() => server.update({ 'ddns.password': 'from the server' }), /kept by the admin page only/);
    server.close();
  } finally {
    a.close();
    b.close();
  }
});

test('a plain backup of a box with DDNS on restores onto a box without the DDNS password: everything, with DDNS off', () => {
  const a = openWithSecrets();
  const b = openWithSecrets();
  try {
    a.store.update({
      'server.name': 'Garage Band', 'server.port': 22125, 'ddns.enabled': true, 'ddns.provider': 'dyndns2',
      'ddns.server': 'members.dyndns.org', 'ddns.host': 'jam.example.org', 'ddns.username': 'me', 'ddns.password': 'p4ss',
    });
    const plain = a.store.export({ includeSecrets: false });
    const r = b.store.import(plain);
    assert.equal(r.ddnsTurnedOff, true);
    const flat = b.store.getFlat();
    assert.equal(flat['server.name'], 'Garage Band');
    assert.equal(flat['server.port'], 22125);
    assert.equal(flat['ddns.enabled'], false, 'DDNS comes back off');
    assert.equal(flat['ddns.host'], 'jam.example.org', 'with its names, for the password to be given again');

    // With the password stored (the same box), DDNS stays on; with secrets in the backup too.
    b.store.update({ 'ddns.password': 'p4ss' });
    assert.equal(b.store.import(plain).ddnsTurnedOff, false);
    assert.equal(b.store.getFlat()['ddns.enabled'], true);
    // Any other invalid value still refuses the whole backup.
    assert.throws(() => b.store.import({ ...plain, settings: { ...plain.settings, 'server.port': 1 } }), SettingsValidationError);
  } finally {
    a.close();
    b.close();
  }
});

test('migration 2 → 3 moves the secrets of fixture rows out of settings.db; the admin store takes them over once', () => {
  const p = dbPath();
  const raw = new Database(p);
  assert.equal(migrate(raw, 2), 2);
  const put = raw.prepare('INSERT INTO settings (key, value, rev) VALUES (?, ?, ?)');
  put.run('server.name', '"Cave"', 1);
  put.run('system.adminPasswordHash', JSON.stringify('scrypt$32768$8$1$c2FsdA$a2V5'), 2);
  put.run('system.sessionSecret', '"old-session-secret"', 2);
  put.run('ddns.password', '"dd-pass-fixture"', 3);
  put.run('ddns.token', '""', 3);
  raw.prepare('UPDATE meta SET revision = 3').run();
  raw.close();

  // What the server does first after the upgrade: migrate, and see no secret.
  const server = SettingsStore.open(p);
  const check = new Database(p, { readonly: true });
  assert.equal(check.pragma('user_version', { simple: true }), 3);
  assert.deepEqual(check.prepare('SELECT key FROM settings ORDER BY key').pluck().all(), ['server.name']);
  assert.deepEqual(check.prepare('SELECT key FROM admin_secrets_handoff ORDER BY key').pluck().all(), ['ddns.password', 'system.adminPasswordHash', 'system.sessionSecret']);
  check.close();
  assert.equal(server.getFlat()['server.name'], 'Cave');
  assert.equal(server.getFlat()['ddns.password'], '');
  assert.equal(server.revision(), 3);

  // The admin's first start after the upgrade creates its store and takes the rows over.
  const stores = openAdminStores(p, join(dir, `admin-${n}.db`));
  try {
    assert.equal(stores.admin.auth().passwordHash, 'scrypt$32768$8$1$c2FsdA$a2V5');
    assert.notEqual(stores.admin.auth().sessionSecret, 'old-session-secret');
    assert.equal(stores.settings.getFlat()['ddns.password'], 'dd-pass-fixture');
    assert.deepEqual(stores.settings.adminHandoff(), {}, 'the hand-off table is emptied');
    // Rows a compromised server writes into the hand-off table later are never taken.
    const w = new Database(p);
    w.prepare('INSERT INTO admin_secrets_handoff (key, value) VALUES (?, ?)').run('system.adminPasswordHash', JSON.stringify('scrypt$32768$8$1$ZXZpbA$ZXZpbA'));
    w.close();
  } finally {
    stores.close();
  }
  server.close();
  const again = openAdminStores(p, join(dir, `admin-${n}.db`));
  try {
    assert.equal(again.admin.auth().passwordHash, 'scrypt$32768$8$1$c2FsdA$a2V5');
    assert.deepEqual(again.settings.adminHandoff(), {});
  } finally {
    again.close();
  }
  const bytes = readFileSync(p).toString('latin1');
  assert.ok(!bytes.includes('dd-pass-fixture') && !bytes.includes('old-session-secret'), 'the old values are not left in the file');
});

test('import is validated and all or nothing', () => {
  const s = SettingsStore.open(dbPath());
  try {
    s.update({ 'server.name': 'keep me' });
    const before = s.getFlat();
    const good = s.export({ includeSecrets: false });
    const cases: [unknown, RegExp][] = [
      ['not json', /not a riffbox settings file/],
      [{ format: 'other' }, /not a riffbox settings file/],
      [{ ...good, schemaVersion: LATEST_VERSION + 1 }, /from a newer riffbox/],
      [{ ...good, settings: { ...good.settings, 'server.port': 80, 'server.name': 'changed' } }, /Port must be between 1024 and 65535/],
      [{ ...good, settings: { ...good.settings, 'server.nope': 1 } }, /Unknown setting server\.nope/],
    ];
    for (const [input, msg] of cases) assert.throws(() => s.import(input), msg);
    assert.deepEqual(s.getFlat(), before);
  } finally {
    s.close();
  }
});

test('a stored value that no longer validates falls back to its default and is reported', () => {
  const p = dbPath();
  SettingsStore.open(p).close();
  const raw = new Database(p);
  raw.prepare(`INSERT INTO settings (key, value, rev) VALUES ('server.port', '80', 1), ('server.name', 'not json', 1), ('gone.key', '1', 1)`).run();
  raw.close();
  const s = SettingsStore.open(p);
  try {
    assert.equal(s.get().server.port, 22124);
    assert.equal(s.get().server.name, 'riffbox');
    assert.deepEqual([...s.problems].sort(), [
      'server.name: stored value is not JSON; using the default',
      'server.port: Port must be between 1024 and 65535; using the default',
    ]);
  } finally {
    s.close();
  }
});

test('kill -9 during a write loop leaves a consistent database', { timeout: 60_000 }, async () => {
  const p = dbPath();
  SettingsStore.open(p).close();
  const storeUrl = pathToFileURL(join(import.meta.dirname, '../../appliance/src/settings/store.js')).href;
  const script = join(dir, 'writer.mjs');
  // Each transaction writes a pair that must stay equal and a mix row; the loop reports
  // every committed step so the parent can check nothing committed was lost.
  writeFileSync(script, `
    import { SettingsStore } from ${JSON.stringify(storeUrl)};
    const s = SettingsStore.open(process.argv[2]);
    let i = Number(s.get().server.city.slice(1) || 0);
    process.stdout.write('ready\\n');
    for (;;) {
      i++;
      s.update({ 'server.name': 'n' + i, 'server.city': 'c' + i, 'server.welcome': 'w'.repeat(i % 1500) });
      s.setMixEntry('m' + (i % 40), { fader: i % 101 });
      process.stdout.write(i + '\\n');
    }
  `);

  for (let round = 0; round < 3; round++) {
    let child: ChildProcess | undefined;
    let lastReported = 0;
    try {
      child = spawn(process.execPath, [script, p], { stdio: ['ignore', 'pipe', 'inherit'] });
      const c = child;
      await new Promise<void>((resolve, reject) => {
        let buf = '';
        let commits = 0;
        const target = 50 + Math.floor(Math.random() * 100);
        c.stdout?.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop() ?? '';
          for (const l of lines) {
            if (/^\d+$/.test(l)) {
              lastReported = Number(l);
              if (++commits === target) {
                c.kill('SIGKILL');
                resolve();
              }
            }
          }
        });
        c.once('exit', (code, sig) => (sig === 'SIGKILL' ? resolve() : reject(new Error(`writer exited early: ${code} ${sig}`))));
      });
      await new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
    } finally {
      if (child && child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    }

    assert.ok(statSync(`${p}-wal`).size >= 0, 'killed with a WAL file present');
    const raw = new Database(p);
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
    raw.close();
    const s = SettingsStore.open(p);
    try {
      const g = s.get();
      const i = Number(g.server.city.slice(1));
      assert.equal(g.server.name, `n${i}`, 'both halves of one transaction');
      assert.equal(g.server.welcome, 'w'.repeat(i % 1500));
      assert.ok(i >= lastReported, `committed step ${lastReported} survived (found ${i})`);
      assert.deepEqual(s.problems, []);
    } finally {
      s.close();
    }
  }
});
