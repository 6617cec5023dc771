// The image's services started exactly as their units start them (ExecStart read from
// overlays/rootfs, test/harness/units.ts): the admin must reach the server and the client it runs
// beside, and `riffbox status` must say what the admin sees. This is the link that broke on the
// image when the units and the admin each named the control ports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessGroup, type ManagedProcess } from '../harness/processes.js';
import { freeTcpPort, freeUdpPort } from '../harness/ports.js';
import { unitCommand, CLI } from '../harness/units.js';
import { AdminHttp } from '../browser/admin-http.js';
import { readClaimCode } from '../browser/admin-instance.js';
import { SettingsStore } from '../../appliance/src/settings/index.js';

const PASSWORD = 'units as installed';
const g = new ProcessGroup('units-as-installed');
let state: string;
let serverPort: number;
let web: AdminHttp;
let client: ManagedProcess;

function status(): Promise<{ code: number | null; stdout: string }> {
  return g.run('status', process.execPath, [CLI, 'status', '--db', `${state}/settings.db`], { timeoutMs: 20000, allowFailure: true });
}

before(async () => {
  state = g.path('state');
  // First boot, as riffbox-firstboot.service runs it.
  const init = unitCommand('riffbox-firstboot.service', state);
  await g.run('firstboot', init.cmd, init.args, { timeoutMs: 20000 });
  // What an owner could set on the admin page; a test machine has no sound card and other tests' ports.
  serverPort = await freeUdpPort();
  const store = SettingsStore.open(`${state}/settings.db`);
  try {
    store.update({
      'server.port': serverPort,
      'server.jsonrpcPort': await freeTcpPort(),
      'client.jsonrpcPort': await freeTcpPort(),
      'client.device': 'null',
    });
  } finally {
    store.close();
  }
  const server = unitCommand('riffbox-server.service', state);
  await g.spawn('server', server.cmd, server.args).waitForLine(/riffbox server listening on udp\/\d+/, 20000);
  const cl = unitCommand('riffbox-client.service', state);
  client = g.spawn('client', cl.cmd, cl.args);
  await client.waitForLine(/riffbox client connected to/, 20000);
  const adminPort = await freeTcpPort();
  const admin = unitCommand('riffbox-admin.service', state, { '--port': String(adminPort) });
  await g.spawn('admin', admin.cmd, admin.args, { env: { RIFFBOX_ROOT: g.path('root') } })
    .waitForLine(/riffbox admin listening on http:\/\/[^:]+:\d+/, 20000);
  web = new AdminHttp(`http://127.0.0.1:${adminPort}`);
  assert.equal((await web.setup(PASSWORD, readClaimCode(g.path('root')))).status, 303);
});
after(() => g.stopAll());

test('the admin sees the server running on its port and the client connected with its device', async () => {
  const page = await web.get('/');
  assert.equal(page.status, 200);
  const server = /<li id="svc-server">([\s\S]*?)<\/li>/.exec(page.text)?.[1] ?? '';
  const cl = /<li id="svc-client">([\s\S]*?)<\/li>/.exec(page.text)?.[1] ?? '';
  assert.match(server, /running/, g.describe());
  assert.match(server, new RegExp(`UDP port ${serverPort}\\b`));
  assert.doesNotMatch(server, /not running|cannot be reached/);
  assert.match(cl, /connected/);
  assert.match(cl, /<code>null<\/code>/, 'the device the client opened');
  assert.doesNotMatch(page.text, /not running/);
});

test('riffbox status prints the same and exits 0', async () => {
  const r = await status();
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, new RegExp(`^server: running on udp/${serverPort}, private mode`, 'm'));
  assert.match(r.stdout, /^client: connected to 127\.0\.0\.1/m);
  assert.match(r.stdout, /^ {2}device: null \(running\)/m);
  assert.match(r.stdout, /musicians \(1\/10\): riffbox/);
});

test('a stopped client is reported as not running, by the page and by riffbox status (exit 1)', async () => {
  await client.stop();
  const r = await status();
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^server: running/m);
  assert.match(r.stdout, /^client: not running: (no control socket|nothing listens) at /m);
  const page = await web.get('/');
  const cl = /<li id="svc-client">([\s\S]*?)<\/li>/.exec(page.text)?.[1] ?? '';
  assert.match(cl, /not running/);
  const server = /<li id="svc-server">([\s\S]*?)<\/li>/.exec(page.text)?.[1] ?? '';
  assert.doesNotMatch(server, /not running/);
});
