// Issue 11, "admin under bad input": 10 000 hostile requests (forms, headers, paths, bodies, raw
// bytes; support/hostile-admin-requests.ts) against the real admin process, with the real riffbox
// server and client running beside it. No answer is a 5xx (a body that is too large is a 413, a
// value no field accepts a 422), no setting or credential changes, and afterwards the pages, the
// server and the client all still answer. Prints the figures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { ProcessGroup } from '../harness/processes.js';
import { startBox, type Box } from '../browser/rig.js';
import { AdminHttp } from '../browser/admin-http.js';
import { readClaimCode } from '../browser/admin-instance.js';
import { hostileRequest, rawRequest, rng, type HostileRequest, type RawRequest } from './support/hostile-admin-requests.js';
import { openAdminStores } from '../../webadmin/src/security/open-stores.js';
import { adminDbFor } from '../../webadmin/src/main.js';

const REQUESTS = 10_000;
const LANES = 8;
const SEED = 20260611;
const PASSWORD = 'bad input owner';

const g = new ProcessGroup('admin-bad-input');
let box: Box;
let web: AdminHttp;
after(() => g.stopAll());

before(async () => {
  box = await startBox(g);
  web = new AdminHttp(box.adminUrl);
  assert.equal((await web.setup(PASSWORD, readClaimCode(box.root))).status, 303);
  await web.get('/server');
});

/** Everything a request could change: every setting (secrets included) and the admin's credentials. */
function snapshot(): unknown {
  const stores = openAdminStores(box.db, adminDbFor({ kind: 'checkout', root: box.root, db: box.db }));
  try {
    const { exportedAt: _, ...backup } = stores.settings.export({ includeSecrets: true });
    const a = stores.admin.auth();
    return { backup, revision: stores.settings.revision(), auth: { ...a } };
  } finally {
    stores.close();
  }
}

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

interface Outcome {
  readonly status: number | 'closed';
  readonly ms: number;
}

function send(agent: Agent, base: URL, q: HostileRequest, cookie: string, csrf: string, retried = false): Promise<Outcome> {
  const headers: Record<string, string> = { ...q.headers };
  if (q.session !== 'none' && headers.cookie === undefined) headers.cookie = cookie;
  if (q.session === 'cookie+csrf' && headers['x-csrf-token'] === undefined) headers['x-csrf-token'] = csrf;
  if (q.body !== undefined) headers['content-length'] = String(Buffer.byteLength(q.body));
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = httpRequest({ host: base.hostname, port: base.port, method: q.method, path: q.path, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      res.on('error', () => resolve({ status: 'closed', ms: performance.now() - t0 }));
    });
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      // A kept-alive connection the server closed just as it was reused: the request never
      // reached it, so it is sent again once on a new one (Node's documented pattern).
      if (req.reusedSocket && !retried) {
        resolve(send(agent, base, q, cookie, csrf, true));
        return;
      }
      // A server that answers early (413) and closes may cut the upload short: that is its right.
      resolve({ status: 'closed', ms: performance.now() - t0 });
    });
    req.end(q.body);
  });
}

function sendRaw(base: URL, q: RawRequest): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = connect(Number(base.port), base.hostname, () => s.end(q.raw));
    let first = '';
    s.setTimeout(15000, () => s.destroy());
    s.on('data', (c: Buffer) => (first += c.toString('latin1')));
    const done = (): void => {
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(first);
      resolve({ status: m ? Number(m[1]) : 'closed', ms: performance.now() - t0 });
    };
    s.on('close', done);
    s.on('error', () => undefined);
  });
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

test('10 000 hostile requests: no 5xx, no setting changed, everything still answers', { timeout: 20 * 60 * 1000 }, async () => {
  const base = new URL(box.adminUrl);
  const cookie = [...web.cookieJar()].map(([k, v]) => `${k}=${v}`).join('; ');
  const csrf = web.csrf;
  const before = snapshot();
  const rssBefore = rssKb(box.admin.pid);
  const r = rng(SEED);
  const plan = Array.from({ length: REQUESTS }, () => (r() < 0.04 ? rawRequest(r) : hostileRequest(r)));
  const agent = new Agent({ keepAlive: true, maxSockets: LANES });
  const outcomes: (Outcome & { kind: string })[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: LANES }, async () => {
    while (next < plan.length) {
      const q = plan[next++]!;
      const o = 'raw' in q ? await sendRaw(base, q) : await send(agent, base, q, cookie, csrf);
      outcomes.push({ ...o, kind: q.kind });
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();

  const byStatus = new Map<string, number>();
  for (const o of outcomes) byStatus.set(String(o.status), (byStatus.get(String(o.status)) ?? 0) + 1);
  const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const rssAfter = rssKb(box.admin.pid);
  console.log(`admin under bad input: ${outcomes.length} requests in ${seconds.toFixed(1)} s (${(outcomes.length / seconds).toFixed(0)}/s, ${LANES} at once, seed ${SEED})`);
  console.log(`  statuses: ${[...byStatus].sort().map(([s, n]) => `${s}×${n}`).join(' ')}`);
  console.log(`  latency p50 ${quantile(ms, 0.5).toFixed(1)} ms, p99 ${quantile(ms, 0.99).toFixed(1)} ms, max ${ms[ms.length - 1]!.toFixed(0)} ms; admin RSS ${(rssBefore / 1024).toFixed(1)} → ${(rssAfter / 1024).toFixed(1)} MB`);

  const serverErrors = outcomes.filter((o) => typeof o.status === 'number' && o.status >= 500);
  assert.deepEqual(serverErrors.slice(0, 10), [], `${serverErrors.length} answers were 5xx`);
  const closed = outcomes.filter((o) => o.status === 'closed' && o.kind !== 'raw' && !o.kind.includes('too large'));
  assert.deepEqual(closed.slice(0, 10), [], 'connections dropped without an answer');
  assert.equal(box.admin.running, true, 'the admin is still running');
  assert.doesNotMatch(box.admin.output().stderr, /internal error|TypeError|RangeError|ReferenceError/, 'no handler crashed');

  assert.deepEqual(snapshot(), before, 'no setting or credential changed');
  const page = await web.get('/');
  assert.equal(page.status, 200, 'the status page still answers with the same session');
  assert.match(page.text, /<h1>Status<\/h1>/);
  assert.match((await web.get('/server')).text, /id="server-form"/);
  const srv = await box.serverRpc();
  try {
    const profile = await srv.call<{ name: string }>('jamulusserver/getServerProfile');
    assert.equal(profile.name, 'riffbox', 'the server still answers, unchanged');
  } finally {
    srv.close();
  }
  assert.equal(box.client?.running, true, 'the client is still running');
});
