// Issue 11's holes in the admin, each shown over HTTP against the real admin (and each failing on
// the code before the fix): a restore that replaced credentials, guesses that passed the throttle
// in parallel, a logout that left the cookie valid, and secrets the server could read in the
// settings database they share. (The admin's privileges are in admin-privilege.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AdminHttp, type Reply } from '../browser/admin-http.js';
import { startAdmin, type AdminInstance } from '../browser/admin-instance.js';
import { hashPassword } from '../../webadmin/src/security/password.js';

const PASSWORD = 'the owner password';

/** The claim code the admin's start-up wrote to the checkout's card ('' where none is asked for). */
function codeOnCard(a: AdminInstance): string {
  const file = join(a.root, 'boot/firmware/riffbox.txt');
  if (!existsSync(file)) return '';
  return /^claim_code=(.*)$/m.exec(readFileSync(file, 'utf8'))?.[1]?.trim() ?? '';
}

async function claimed(): Promise<{ a: AdminInstance; owner: AdminHttp }> {
  const a = await startAdmin();
  const owner = new AdminHttp(a.base);
  await owner.get('/setup');
  const r = await owner.post('/setup', { code: codeOnCard(a), password: PASSWORD, confirm: PASSWORD, lang: 'en' });
  assert.equal(r.status, 303, r.text);
  return { a, owner };
}

function multipart(fields: Record<string, string>, file: string): { body: Buffer; type: string } {
  const b = 'riffboxTestBoundary';
  const parts = Object.entries(fields).map(([k, v]) => `--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  parts.push(`--${b}\r\nContent-Disposition: form-data; name="backup"; filename="b.json"\r\nContent-Type: application/json\r\n\r\n${file}\r\n--${b}--\r\n`);
  return { body: Buffer.from(parts.join('')), type: `multipart/form-data; boundary=${b}` };
}

async function restore(web: AdminHttp, backup: unknown, password?: string): Promise<Reply> {
  await web.get('/system');
  const m = multipart(password === undefined ? {} : { password }, JSON.stringify(backup));
  return web.request('POST', `/system/restore?_csrf=${encodeURIComponent(web.csrf)}`, { body: m.body, headers: { 'content-type': m.type } });
}

test('restore: a backup can never replace the password hash or the session secret, and brings secrets only with the password', async () => {
  const { a, owner } = await claimed();
  try {
    const plain = JSON.parse((await owner.get('/system/backup')).text) as { settings: Record<string, unknown> };
    const forged = {
      ...plain,
      includesSecrets: false,
      settings: {
        ...plain.settings,
        'server.name': 'restored',
        'system.adminPasswordHash': await hashPassword('an attacker password'),
        'system.sessionSecret': 'attacker-chosen-session-secret-0123456789',
        'ddns.password': 'smuggled-ddns-password',
      },
    };
    const without = await restore(owner, forged);
    assert.equal(without.status, 422, 'a backup carrying secrets needs the password');
    assert.equal(a.store.getFlat()['server.name'], 'riffbox', 'nothing restored');
    const withPassword = await restore(owner, forged, PASSWORD);
    assert.equal(withPassword.status, 303, withPassword.text.slice(0, 300));
    assert.equal(a.store.getFlat()['server.name'], 'restored', 'the settings came back');
    assert.notEqual(a.store.getFlat()['ddns.password'], 'smuggled-ddns-password', 'secrets only from a backup that says it has them');
    const attacker = new AdminHttp(a.base, '127.0.0.7');
    assert.equal((await attacker.login('an attacker password')).status, 401, "the backup's password hash was not taken");
    const again = new AdminHttp(a.base, '127.0.0.8');
    assert.equal((await again.login(PASSWORD)).status, 303, "the owner's password still works");
  } finally {
    await a.stop();
  }
});

test('login: parallel guesses are counted before they are checked, with a global budget and a cap on checks at once', async () => {
  const { a } = await claimed();
  try {
    const one = new AdminHttp(a.base, '127.0.1.1');
    await one.get('/login');
    const burst = await Promise.all(Array.from({ length: 20 }, () => one.post('/login', { password: 'a wrong guess' })));
    const checked = burst.filter((r) => r.status === 401).length;
    assert.ok(checked <= 5, `${checked} of 20 parallel guesses from one address were checked`);
    assert.equal(burst.filter((r) => r.status === 429).length, 20 - checked);

    // Many addresses at once: at most a couple of checks run, the others are told to retry.
    const many = await Promise.all(Array.from({ length: 10 }, async (_, i) => {
      const web = new AdminHttp(a.base, `127.0.2.${i + 1}`);
      await web.get('/login');
      return web.post('/login', { password: 'a wrong guess' });
    }));
    assert.ok(many.filter((r) => r.status === 429).length >= 5, `statuses ${many.map((r) => r.status).join(' ')}`);

    // One guess from each of many addresses: the box's global budget runs out.
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const web = new AdminHttp(a.base, `127.0.3.${i + 1}`);
      await web.get('/login');
      statuses.push((await web.post('/login', { password: 'a wrong guess' })).status);
    }
    const refused = statuses.filter((s) => s === 429).length;
    assert.ok(refused >= 10, `one guess each from 40 addresses: ${statuses.join(' ')}`);
    const fresh = new AdminHttp(a.base, '127.0.4.1');
    const r = await fresh.login(PASSWORD);
    assert.equal(r.status, 429, 'while the budget is spent, a new address waits too');
    assert.match(r.text, /Too many wrong attempts on this box/);
    console.log(`login guesses: ${checked}/20 parallel from one address checked; ${refused}/40 single guesses from 40 addresses refused by the global budget`);
  } finally {
    await a.stop();
  }
});

test('logout ends the session everywhere: a copied cookie and other browsers are logged out too', async () => {
  const { a, owner } = await claimed();
  try {
    const laptop = new AdminHttp(a.base, '127.0.0.9');
    assert.equal((await laptop.login(PASSWORD)).status, 303);
    const stolen = new AdminHttp(a.base, '127.0.0.10');
    stolen.useCookies(owner.cookieJar());
    assert.equal((await stolen.get('/server')).status, 200, 'the copy works while the session lives');
    await owner.get('/server');
    const out = await owner.post('/logout', {});
    assert.equal(out.status, 303);
    for (const [who, web] of [['copied cookie', stolen], ['other browser', laptop]] as const) {
      const r = await web.get('/server');
      assert.equal(r.status, 303, who);
      assert.equal(r.headers.get('location'), '/login', who);
    }
  } finally {
    await a.stop();
  }
});

test('the settings database the server shares holds no secret of the admin', async () => {
  const { a, owner } = await claimed();
  try {
    const ddnsPassword = 'dyn-secret-7f3a9c';
    await owner.get('/ddns');
    const r = await owner.post('/ddns', { 'ddns.enabled': 'true', 'ddns.provider': 'noip', 'ddns.host': 'band.ddns.net', 'ddns.username': 'me', 'ddns.password': ddnsPassword, action: 'save' });
    assert.equal(r.status, 303, r.text.slice(0, 300));
    // What the server's process can open: settings.db (and its WAL).
    const raw = new Database(a.db, { readonly: true });
    try {
      const rows = raw.prepare(`SELECT key FROM settings WHERE key IN ('system.adminPasswordHash', 'system.sessionSecret', 'ddns.password', 'ddns.token')`).pluck().all();
      assert.deepEqual(rows, [], 'secret rows in settings.db');
    } finally {
      raw.close();
    }
    for (const file of [a.db, `${a.db}-wal`]) {
      if (!existsSync(file)) continue;
      const bytes = readFileSync(file).toString('latin1');
      assert.ok(!bytes.includes(ddnsPassword), `the DDNS password in ${file}`);
      assert.ok(!bytes.includes('scrypt$'), `a password hash in ${file}`);
    }
  } finally {
    await a.stop();
  }
});
