// The JSON-RPC client against a real Jamulus 3.9.1 server (no audio needed for the server role).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { ProcessGroup } from '../harness/processes.js';
import { freeTcpPort, freeUdpPort, randomSecret } from '../harness/ports.js';
import { connect, JsonRpcClient, JsonRpcError } from '../harness/jsonrpc-client.js';

const g = new ProcessGroup('t-rpc');
after(() => g.stopAll());

test('apiAuth, calls, errors with code and message, and close', async () => {
  const rpcPort = await freeTcpPort();
  const secret = randomSecret();
  const secretFile = g.path('secret');
  writeFileSync(secretFile, secret + '\n');
  g.spawn('jamulus-server', 'Jamulus', ['-s', '-n', '-p', String(await freeUdpPort()), '--jsonrpcport', String(rpcPort), '--jsonrpcsecretfile', secretFile]);

  await assert.rejects(connect(rpcPort, 'wrong-secret-wrong-secret'), /JSON-RPC error 400: Authentication failed/);

  const c = await connect(rpcPort, secret);
  try {
    assert.deepEqual(await c.call('jamulus/getMode'), { mode: 'server' });
    const v = await c.call<{ version: string }>('jamulus/getVersion');
    assert.equal(v.version, '3.9.1');
    await assert.rejects(c.call('no/such/method'), (e: unknown) => e instanceof JsonRpcError && e.code === -32601 && /Method not found/.test(e.message));
    assert.equal(await c.call('jamulusserver/setServerName', { serverName: 'harness test' }), 'ok');
    const profile = await c.call<{ name: string }>('jamulusserver/getServerProfile');
    assert.equal(profile.name, 'harness test');
  } finally {
    c.close();
  }
  await assert.rejects(c.call('jamulus/getMode'), /closed/);

  // Without apiAuth every method is refused.
  const raw = await JsonRpcClient.open(rpcPort);
  try {
    await assert.rejects(raw.call('jamulus/getMode'), (e: unknown) => e instanceof JsonRpcError && e.code === 401 && /Unauthenticated/.test(e.message));
  } finally {
    raw.close();
  }
});
