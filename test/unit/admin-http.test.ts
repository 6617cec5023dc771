// The admin over real HTTP (no browser): first run, login gate, CSRF, throttling, 422 with
// per-field errors that change nothing, saves that redirect or return the fragment, secrets
// that never come back, French pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AdminHttp } from '../browser/admin-http.js';
import { startAdmin, type AdminInstance } from '../browser/admin-instance.js';

const PASSWORD = 'correct horse battery';
let a: AdminInstance;
let web: AdminHttp;

before(async () => {
  a = await startAdmin();
  web = new AdminHttp(a.base);
});
after(() => a.stop());

test('first run: every page leads to /setup, and setup needs a CSRF token and a real password', async () => {
  const r = await web.get('/server');
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/setup');
  await web.get('/setup');
  const noCsrf = await web.request('POST', '/setup', { form: { password: PASSWORD, confirm: PASSWORD } });
  assert.equal(noCsrf.status, 403);
  const short = await web.post('/setup', { code: a.claimCode(), password: 'short', confirm: 'short' });
  assert.equal(short.status, 422);
  assert.match(short.text, /at least 8 characters/);
  assert.equal(a.adminStore.auth().passwordHash, '');
  const ok = await web.setup(PASSWORD, a.claimCode());
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get('location'), '/');
  assert.match(a.adminStore.auth().passwordHash, /^scrypt\$/);
  const cookie = ok.headers.getSetCookie().find((c) => c.startsWith('rb_session='));
  assert.ok(cookie, 'session cookie set');
  assert.match(cookie!, /HttpOnly/);
  assert.match(cookie!, /SameSite=Lax/);
  assert.equal((await web.get('/setup')).status, 303, 'setup is closed once a password exists');
});

test('without a session every page redirects to /login; with one, a POST without CSRF is refused', async () => {
  const stranger = new AdminHttp(a.base);
  for (const path of ['/', '/server', '/ddns', '/system/backup']) {
    const r = await stranger.get(path);
    assert.equal(r.status, 303, path);
    assert.equal(r.headers.get('location'), '/login');
  }
  const htmx = await stranger.get('/status/live', { 'HX-Request': 'true' });
  assert.equal(htmx.headers.get('hx-redirect'), '/login');
  await web.get('/server');
  const before = a.store.revision();
  const r = await web.request('POST', '/server', { form: { 'server.name': 'no token' } });
  assert.equal(r.status, 403);
  const wrong = await web.request('POST', '/server', { form: { 'server.name': 'bad token', _csrf: 'x'.repeat(43) } });
  assert.equal(wrong.status, 403);
  assert.equal(a.store.revision(), before);
});

test('login: wrong passwords are throttled, the right one gives a session', async () => {
  const b = new AdminHttp(a.base);
  for (let i = 0; i < 4; i++) assert.equal((await b.login('wrong password')).status, 401);
  const fifth = await b.login('wrong password');
  assert.equal(fifth.status, 401);
  const throttled = await b.login(PASSWORD);
  assert.equal(throttled.status, 429, 'even the right password waits once throttled');
  assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
});

test('invalid server values: 422, the form fragment with per-field errors, nothing changed', async () => {
  await web.get('/server');
  const before = a.store.getFlat();
  const rev = a.store.revision();
  const r = await web.post('/server', { 'server.port': '80', 'server.name': 'this name is far too long for jamulus', 'server.maxClients': 'lots', 'server.city': 'Lyon' }, { 'HX-Request': 'true' });
  assert.equal(r.status, 422);
  assert.match(r.headers.get('vary') ?? '', /HX-Request/);
  assert.doesNotMatch(r.text, /<html/, 'htmx gets the fragment only');
  assert.match(r.text, /Port must be between 1024 and 65535/);
  assert.match(r.text, /Server name must be at most 20 characters/);
  assert.match(r.text, /Max clients must be a whole number/);
  assert.match(r.text, /value="Lyon"/, 'what was typed is shown again');
  assert.equal(a.store.revision(), rev);
  assert.deepEqual(a.store.getFlat(), before);
  const full = await web.post('/server', { 'server.port': '80' });
  assert.equal(full.status, 422);
  assert.match(full.text, /<html/, 'a browser without htmx gets the whole page');
});

test('a valid save redirects (303) for browsers and returns the fragment for htmx', async () => {
  await web.get('/server');
  const r = await web.post('/server', { 'server.name': 'Salle <3', 'server.city': 'Lyon', 'server.country': 'FR', 'server.port': '22150', 'server.fastUpdate': 'true' });
  assert.equal(r.status, 303);
  assert.match(r.headers.get('location') ?? '', /^\/server\?saved=1/);
  const s = a.store.getFlat();
  assert.equal(s['server.name'], 'Salle <3');
  assert.equal(s['server.country'], 74, 'ISO FR stored as the Qt number');
  assert.equal(s['server.port'], 22150);
  assert.equal(s['server.fastUpdate'], true);
  const page = await web.get('/server');
  assert.match(page.text, /value="Salle &lt;3"/, 'escaped when rendered');
  assert.match(page.text, /<option value="FR" selected>/);
  const hx = await web.post('/server', { 'server.fastUpdate': 'false' }, { 'HX-Request': 'true' });
  assert.equal(hx.status, 200);
  assert.match(hx.headers.get('vary') ?? '', /HX-Request/);
  assert.match(hx.text, /id="server-form"/);
  assert.doesNotMatch(hx.text, /<html/);
  assert.equal(a.store.getFlat()['server.fastUpdate'], false);
});

test('DDNS secrets are write-only: never in a page, a fragment or a backup without the password', async () => {
  const secret = 'Sup3r-s3cret#token';
  await web.get('/ddns');
  const r = await web.post('/ddns', { 'ddns.enabled': 'true', 'ddns.provider': 'duckdns', 'ddns.host': 'mybox.duckdns.org', 'ddns.token': secret, action: 'save' }, { 'HX-Request': 'true' });
  assert.equal(r.status, 200, r.text);
  assert.equal(a.store.getFlat()['ddns.token'], secret);
  const again = await web.post('/ddns', { 'ddns.host': 'other.duckdns.org', 'ddns.token': '' }, { 'HX-Request': 'true' });
  assert.equal(a.store.getFlat()['ddns.token'], secret, 'an empty secret field keeps the stored one');
  const pages = [r, again, await web.get('/ddns'), await web.get('/system/backup'), await web.get('/')];
  for (const p of pages) assert.ok(!p.text.includes(secret), 'secret absent');
  assert.match((await web.get('/ddns')).text, /set — leave empty to keep it/);
});

test('French pages', async () => {
  await web.get('/system');
  await web.post('/system', { 'system.language': 'fr', 'system.hostname': 'riffbox' });
  const p = await web.get('/server');
  assert.match(p.text, /<html lang="fr">/);
  assert.match(p.text, /Testez d&#39;abord en mode public/);
  assert.match(p.text, /Nom du serveur/);
  await web.post('/system', { 'system.language': 'en' });
});

test('settings survive a restart of the admin', async () => {
  const { SettingsStore } = await import('../../appliance/src/settings/index.js');
  const reopened = SettingsStore.open(a.db);
  try {
    assert.equal(reopened.getFlat()['server.name'], 'Salle <3');
    assert.equal(reopened.getFlat()['ddns.host'], 'other.duckdns.org');
  } finally {
    reopened.close();
  }
});
