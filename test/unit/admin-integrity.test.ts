// Settings integrity through the admin process: kill -9 while saves are in flight leaves a
// database that passes SQLite's integrity check and holds one whole save (never half of one), and
// what was saved is there after a restart.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { ProcessGroup } from '../harness/processes.js';
import { freeTcpPort } from '../harness/ports.js';
import { AdminHttp } from '../browser/admin-http.js';
import { CLI } from '../browser/rig.js';
import { readClaimCode } from '../browser/admin-instance.js';
import { SettingsStore } from '../../appliance/src/settings/index.js';

const g = new ProcessGroup('admin-integrity');
after(() => g.stopAll());

async function startAdminProcess(db: string, port: number) {
  const p = g.spawn('riffbox-admin', process.execPath, [CLI, 'admin', '--db', db, '--port', String(port), '--bind', '127.0.0.1'], { env: { RIFFBOX_ROOT: g.path('root') } });
  await p.waitForLine(/listening on/, 20000);
  return p;
}

test('kill -9 during saves leaves a consistent database with one whole save, and saves survive a restart', async () => {
  const db = g.path('settings.db');
  const port = await freeTcpPort();
  const admin = await startAdminProcess(db, port);
  const web = new AdminHttp(`http://127.0.0.1:${port}`);
  await web.setup('integrity-pass', readClaimCode(g.path('root')));
  await web.get('/server');
  let sent = 0;
  let stop = false;
  const writer = async (lane: number): Promise<void> => {
    while (!stop) {
      const i = sent++;
      // Name and city change together in one form; a torn write would pair them wrongly.
      await web.post('/server', { 'server.name': `n${i}`, 'server.city': `c${i}`, 'server.maxClients': String(1 + (i % 150)), 'server.welcome': `w${i} `.repeat(200) }, { 'HX-Request': 'true' }).catch(() => undefined);
      void lane;
    }
  };
  const lanes = [writer(0), writer(1), writer(2)];
  await new Promise((r) => setTimeout(r, 1500));
  process.kill(admin.pid, 'SIGKILL');
  stop = true;
  await Promise.all(lanes);
  await admin.exited;
  assert.ok(sent > 10, `only ${sent} saves were attempted`);

  const raw = new Database(db, { readonly: true });
  try {
    assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
  } finally {
    raw.close();
  }
  const store = SettingsStore.open(db);
  let name: string;
  try {
    const s = store.getFlat();
    name = s['server.name'];
    const i = Number(name.slice(1));
    assert.match(name, /^n\d+$/);
    assert.equal(s['server.city'], `c${i}`, 'name and city come from the same save');
    assert.equal(s['server.maxClients'], 1 + (i % 150));
    assert.equal(s['server.welcome'], `w${i} `.repeat(200));
    assert.deepEqual(store.problems, []);
  } finally {
    store.close();
  }

  const again = await startAdminProcess(db, port);
  const web2 = new AdminHttp(`http://127.0.0.1:${port}`);
  assert.equal((await web2.login('integrity-pass')).status, 303, 'the password survived');
  const page = await web2.get('/server');
  assert.match(page.text, new RegExp(`value="${name}"`));
  await again.stop();
});
