// The control channel on a Unix socket: who may take the path, and what a failed link means to
// the admin ("not running" only when nothing listens; otherwise "cannot be reached" and why).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, statSync, existsSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonRpcServer } from '../../appliance/src/control/index.js';
import { ServiceLink, ServiceUnavailableError } from '../../appliance/src/control/service-link.js';
import { controlSocketPath } from '../../appliance/src/service-paths.js';

const SECRET = 'a'.repeat(32);

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'rb-sock-'));
}

test('controlSocketPath names the socket after the database, beside it', () => {
  assert.equal(controlSocketPath('/var/lib/riffbox/settings.db', 'server'), '/var/lib/riffbox/settings.server.sock');
  assert.equal(controlSocketPath('var/other.db', 'client'), 'var/other.client.sock');
});

test('a service listens on its socket with mode 0660, answers calls, and removes it when it stops', async () => {
  const d = dir();
  const path = join(d, 's.sock');
  const rpc = new JsonRpcServer({ socketPath: path, secret: SECRET });
  rpc.register('test/echo', (p) => p);
  await rpc.listen();
  assert.equal(statSync(path).mode & 0o777, 0o660);
  const secretFile = join(d, 'secret');
  writeFileSync(secretFile, SECRET);
  const link = new ServiceLink('server', path, secretFile);
  assert.deepEqual(await link.call('test/echo', { a: 1 }), { a: 1 });
  link.close();
  await rpc.close();
  assert.equal(existsSync(path), false);
  rmSync(d, { recursive: true });
});

test('a stale socket left by a killed service is reclaimed; a live one or a plain file is refused', async () => {
  const d = dir();
  const path = join(d, 's.sock');
  // A service killed with SIGKILL cannot unlink its socket: the file stays, and nobody answers on it.
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`]);
  await new Promise<void>((r) => child.stdout.once('data', () => r()));
  await assert.rejects(new JsonRpcServer({ socketPath: path, secret: SECRET }).listen(), /another process is already listening on/);
  child.kill('SIGKILL');
  await new Promise<void>((r) => child.once('exit', () => r()));
  assert.ok(existsSync(path), 'the killed service left its socket file');
  const fresh = new JsonRpcServer({ socketPath: path, secret: SECRET });
  await fresh.listen();
  await fresh.close();
  writeFileSync(path, 'not a socket');
  await assert.rejects(new JsonRpcServer({ socketPath: path, secret: SECRET }).listen(), /exists and is not a socket/);
  rmSync(d, { recursive: true });
});

test('the link says "not running" only when nothing listens, and "cannot be reached" for a wrong secret', async () => {
  const d = dir();
  const path = join(d, 's.sock');
  const secretFile = join(d, 'secret');
  writeFileSync(secretFile, 'b'.repeat(32));
  const link = new ServiceLink('client', path, secretFile);
  const absent = await link.call('x').catch((e: unknown) => e);
  assert.ok(absent instanceof ServiceUnavailableError);
  assert.equal(absent.kind, 'not-running');
  assert.match(absent.reason, /no control socket at/);
  link.close();

  const rpc = new JsonRpcServer({ socketPath: path, secret: SECRET });
  await rpc.listen();
  const other = new ServiceLink('client', path, secretFile);
  const refused = await other.call('x').catch((e: unknown) => e);
  assert.ok(refused instanceof ServiceUnavailableError);
  assert.equal(refused.kind, 'unreachable');
  assert.match(refused.reason, /refused the JSON-RPC secret/);
  other.close();
  await rpc.close();
  rmSync(d, { recursive: true });
});

test('a socket path too long for sun_path is a clear error', async () => {
  const rpc = new JsonRpcServer({ socketPath: `/tmp/${'x'.repeat(120)}.sock`, secret: SECRET });
  await assert.rejects(rpc.listen(), /longer than 107 bytes; use a shorter database path/);
});

test('a service that accepts but never answers is "cannot be reached", after the patience the link was given', async () => {
  const d = dir();
  const path = join(d, 'hung.sock');
  const { createServer } = await import('node:net');
  const held: import('node:net').Socket[] = [];
  const hung = createServer((s) => { held.push(s); });
  await new Promise<void>((r) => hung.listen(path, r));
  try {
    const secretFile = join(d, 'secret');
    writeFileSync(secretFile, SECRET);
    for (const ms of [300, 1200]) {
      const link = new ServiceLink('server', path, secretFile, { connectTimeoutMs: ms, callTimeoutMs: ms });
      const t0 = Date.now();
      const e = await link.call('test/echo').then(() => null, (x: unknown) => x);
      const took = Date.now() - t0;
      link.close();
      assert.ok(e instanceof ServiceUnavailableError && e.kind === 'unreachable', String(e));
      assert.match((e as Error).message, /cannot be reached: .*timed out|did not answer in/);
      assert.ok(took >= ms - 50 && took < ms + 1000, `waited ${took} ms for a patience of ${ms} ms`);
    }
  } finally {
    for (const s of held) s.destroy();
    await new Promise<void>((r) => hung.close(() => r()));
    rmSync(d, { recursive: true });
  }
});
