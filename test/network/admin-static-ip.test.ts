// A static IP set from the admin page, on a veth in test network namespaces: the "box" namespace
// runs the admin (checkout mode, so the helper changes addresses with `ip` only because it is in a
// private namespace), the "phone" namespace browses it. Unconfirmed, the change reverts by itself;
// confirmed from the new address, it stays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessGroup } from '../harness/processes.js';
import { CLI } from '../browser/rig.js';
import { readClaimCode } from '../browser/admin-instance.js';

const TAG = `riffbox-t-${process.pid}-adm`;
const BOX_NS = `${TAG}-box`;
const PHONE_NS = `${TAG}-phone`;
const OLD = '192.168.78.2';
const NEW = '192.168.78.50';
const GATEWAY = '192.168.78.1';
const PORT = 8080;
const PASSWORD = 'static-ip-pass';
const REVERT_S = 30;

const skip = process.getuid?.() !== 0 ? 'needs root for ip netns' : false;
const g = new ProcessGroup('admin-static-ip');

function sh(cmd: string, args: readonly string[], timeoutMs = 15000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: timeoutMs }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)));
  });
}

/** curl from the phone's namespace with its own cookie jar per host; returns status and body. */
async function phone(method: 'GET' | 'POST', url: string, form: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const jar = g.path(`jar-${new URL(url).hostname}`);
  const args = ['netns', 'exec', PHONE_NS, 'curl', '-s', '-m', '20', '-b', jar, '-c', jar, '-o', '-', '-w', '\n%{http_code}', '-X', method];
  for (const [k, v] of Object.entries(form)) args.push('--data-urlencode', `${k}=${v}`);
  args.push(url);
  const out = await sh('ip', args, 30000);
  const nl = out.lastIndexOf('\n');
  return { status: Number(out.slice(nl + 1)), body: out.slice(0, nl) };
}

async function csrfFor(base: string, path = '/network'): Promise<string> {
  const r = await phone('GET', base + path);
  const m = /"X-CSRF-Token": "([^"]+)"/.exec(r.body);
  if (!m) throw new Error(`no CSRF token on ${base}${path} (${r.status})`);
  return m[1]!;
}

async function boxAddresses(): Promise<string[]> {
  const j = JSON.parse(await sh('ip', ['netns', 'exec', BOX_NS, 'ip', '-j', '-4', 'addr', 'show', 'dev', 'eth0'])) as { addr_info: { local: string }[] }[];
  return (j[0]?.addr_info ?? []).map((a) => a.local);
}

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function killNamespace(ns: string): Promise<void> {
  const pids = (await sh('ip', ['netns', 'pids', ns]).catch(() => '')).split('\n').filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  await sh('ip', ['netns', 'del', ns]).catch(() => undefined);
}

before(async () => {
  if (skip) return;
  g.onCleanup(async () => {
    // The helper's revert sleeper lives in the box namespace; killing its processes ends it too.
    await killNamespace(BOX_NS);
    await killNamespace(PHONE_NS);
  });
  await sh('ip', ['netns', 'add', BOX_NS]);
  await sh('ip', ['netns', 'add', PHONE_NS]);
  await sh('ip', ['link', 'add', 'rbadm0', 'netns', BOX_NS, 'type', 'veth', 'peer', 'name', 'rbadm1', 'netns', PHONE_NS]);
  const inBox = (...a: string[]) => sh('ip', ['netns', 'exec', BOX_NS, 'ip', ...a]);
  const inPhone = (...a: string[]) => sh('ip', ['netns', 'exec', PHONE_NS, 'ip', ...a]);
  await inBox('link', 'set', 'rbadm0', 'name', 'eth0');
  await inPhone('link', 'set', 'rbadm1', 'name', 'eth0');
  await inBox('link', 'set', 'lo', 'up');
  await inPhone('link', 'set', 'lo', 'up');
  await inBox('addr', 'add', `${OLD}/24`, 'dev', 'eth0');
  await inBox('link', 'set', 'eth0', 'up');
  // The phone side is also the router, so the box has a gateway to keep.
  await inPhone('addr', 'add', '192.168.78.10/24', 'dev', 'eth0');
  await inPhone('addr', 'add', `${GATEWAY}/24`, 'dev', 'eth0');
  await inPhone('link', 'set', 'eth0', 'up');
  await inBox('route', 'add', 'default', 'via', GATEWAY);
  const admin = g.spawn('admin-in-box', 'ip', ['netns', 'exec', BOX_NS, process.execPath, CLI, 'admin', '--db', g.path('settings.db'), '--port', String(PORT), '--bind', '0.0.0.0'], {
    env: { RIFFBOX_ROOT: g.path('root') },
  });
  await admin.waitForLine(/listening on/, 20000);
  const base = `http://${OLD}:${PORT}`;
  const token = await csrfFor(base, '/setup');
  const r = await phone('POST', base + '/setup', { _csrf: token, code: readClaimCode(g.path('root')), password: PASSWORD, confirm: PASSWORD, lang: 'en' });
  assert.equal(r.status, 303);
});

after(() => g.stopAll());

let lastReply = '';

async function applyStatic(from: string): Promise<void> {
  const base = `http://${from}:${PORT}`;
  const token = await csrfFor(base);
  // The reply may never arrive: the address it would come back on is gone. That is the point.
  await phone('POST', base + '/network', {
    _csrf: token, 'network.staticEnabled': 'true', 'network.address': NEW, 'network.prefix': '24',
    'network.gateway': GATEWAY, 'network.dns': '', 'network.revertSeconds': String(REVERT_S),
  }).then((r) => { if (r.status !== 0) lastReply = `${r.status} ${r.body.slice(0, 3000)}`; }, () => undefined);
  await waitFor(`the new address (reply: ${lastReply})`, async () => (await boxAddresses()).includes(NEW), 15000);
}

test('unconfirmed, the static IP reverts by itself', { skip, timeout: 120000 }, async () => {
  await applyStatic(OLD);
  assert.deepEqual(await boxAddresses(), [NEW]);
  const pending = JSON.parse(readFileSync(join(g.path('root'), 'var/lib/riffbox-apply/network-pending.json'), 'utf8')) as { address: string };
  assert.equal(pending.address, NEW);
  const keyfile = readFileSync(join(g.path('root'), 'etc/NetworkManager/system-connections/riffbox-static.nmconnection'), 'utf8');
  assert.match(keyfile, new RegExp(`^address1=${NEW}/24,${GATEWAY}$`, 'm'));
  await waitFor('the revert', async () => (await boxAddresses()).includes(OLD), (REVERT_S + 15) * 1000);
  assert.deepEqual(await boxAddresses(), [OLD]);
  // The page tells the owner, and the stored choice follows what happened.
  const page = await phone('GET', `http://${OLD}:${PORT}/network`);
  assert.match(page.body, /was not confirmed in time/);
  assert.match(page.body, /name="network.staticEnabled" value="true" >/);
});

test('confirmed from the new address, it stays', { skip, timeout: 120000 }, async () => {
  await applyStatic(OLD);
  const newBase = `http://${NEW}:${PORT}`;
  const login = await csrfFor(newBase, '/login');
  assert.equal((await phone('POST', newBase + '/login', { _csrf: login, password: PASSWORD })).status, 303);
  const page = await phone('GET', newBase + '/network');
  assert.match(page.body, /id="net-confirm"/, 'the confirm button shows on the new address');
  const token = await csrfFor(newBase);
  const r = await phone('POST', newBase + '/network/confirm', { _csrf: token });
  assert.equal(r.status, 303, r.body);
  await new Promise((res) => setTimeout(res, (REVERT_S + 5) * 1000));
  assert.deepEqual(await boxAddresses(), [NEW], 'still on the new address after the revert time');
  const after = await phone('GET', newBase + '/network');
  assert.doesNotMatch(after.body, /id="network-pending"/);
  assert.match(after.body, /name="network.staticEnabled" value="true" checked>/);
});
