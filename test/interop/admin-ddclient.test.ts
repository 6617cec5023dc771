// Debian's real ddclient, run one-shot by the root helper (checkout mode) on the config the admin
// rendered, against a dyndns2 endpoint this test serves on 127.0.0.1: the request carries the
// right host and credentials, the page shows the result, and the secret never comes back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AdminHttp } from '../browser/admin-http.js';
import { startAdmin, type AdminInstance } from '../browser/admin-instance.js';

const PUBLIC_IP = '203.0.113.77';
const USER = 'bandleader';
const SECRET = "pa ss#w'rd,42";
const HOST = 'box.example.org';

interface Seen { path: string; auth: string | undefined; query: URLSearchParams }
let endpoint: Server;
let port = 0;
const seen: Seen[] = [];
let a: AdminInstance;

before(async () => {
  endpoint = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: url.pathname, auth: req.headers.authorization, query: url.searchParams });
    if (url.pathname === '/ip') return void res.end(`Current IP Address: ${PUBLIC_IP}\n`);
    if (url.pathname === '/nic/update') {
      const expected = `Basic ${Buffer.from(`${USER}:${SECRET}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return void res.writeHead(401).end('badauth');
      return void res.end(`good ${url.searchParams.get('myip')}`);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
  port = (endpoint.address() as { port: number }).port;
  a = await startAdmin({ env: { RIFFBOX_DDNS_WEBV4: `http://127.0.0.1:${port}/ip` } });
});

after(async () => {
  await a.stop();
  await new Promise((r) => endpoint.close(r));
});

test('save and update now: ddclient sends the right update, the page shows it, the secret stays hidden', async () => {
  const web = new AdminHttp(a.base);
  await web.setup('a good password', a.claimCode());
  await web.get('/ddns');
  const r = await web.post(
    '/ddns',
    { 'ddns.enabled': 'true', 'ddns.provider': 'dyndns2', 'ddns.server': `127.0.0.1:${port}`, 'ddns.host': HOST, 'ddns.username': USER, 'ddns.password': SECRET, action: 'update' },
    { 'HX-Request': 'true' },
  );
  assert.equal(r.status, 200, r.text);
  const update = seen.find((s) => s.path === '/nic/update');
  assert.ok(update, `ddclient sent an update (saw ${seen.map((s) => s.path).join(', ')}):\n${r.text}`);
  assert.equal(update.query.get('hostname'), HOST);
  assert.equal(update.query.get('myip'), PUBLIC_IP);
  assert.equal(update.auth, `Basic ${Buffer.from(`${USER}:${SECRET}`).toString('base64')}`);
  assert.match(r.text, /data-target="ddns-update"/);
  assert.match(r.text, /SUCCESS/);
  assert.match(r.text, new RegExp(PUBLIC_IP.replace(/\./g, '\\.')));

  const conf = join(a.root, 'etc/ddclient.conf');
  assert.equal(statSync(conf).mode & 0o777, 0o600);
  const text = readFileSync(conf, 'utf8');
  assert.match(text, /^protocol=dyndns2, ssl=no, server=127\.0\.0\.1:\d+, \\$/m);
  assert.match(text, new RegExp(`^login=${USER}, \\\\$`, 'm'));
  assert.ok(text.includes(`password='${SECRET}' \\\n${HOST}\n`));
  assert.match(text, /^usev4=webv4$/m);

  const page = await web.get('/ddns');
  assert.match(page.text, /<span class="pill">good<\/span>/, 'last status read from ddclient\'s cache');
  for (const p of [r, page, await web.get('/'), await web.get('/system/backup')]) {
    assert.ok(!p.text.includes(SECRET), 'secret absent');
    assert.ok(!p.text.includes(Buffer.from(`${USER}:${SECRET}`).toString('base64')), 'no Authorization header echoed');
  }
});

test('a wrong password at the provider is reported as a failure', async () => {
  const web = new AdminHttp(a.base);
  await web.login('a good password');
  await web.get('/ddns');
  const r = await web.post('/ddns', { 'ddns.password': 'not-the-one', action: 'update' }, { 'HX-Request': 'true' });
  assert.equal(r.status, 200);
  assert.match(r.text, /notice bad" data-target="ddns-update"/);
  assert.ok(!r.text.includes('not-the-one'));
});
