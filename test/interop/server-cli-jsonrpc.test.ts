// Issue 2, items 4 and 5: the server's command line (ready line, bad flags, SIGTERM) and its Jamulus-compatible
// JSON-RPC, checked with a real Jamulus 3.9.1 client where a method reaches clients.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ProcessGroup } from '../harness/processes.js';
import { freeUdpPort, freeTcpPort, randomSecret } from '../harness/ports.js';
import { connect, JsonRpcError } from '../harness/jsonrpc-client.js';
import { startJackd } from '../harness/jack.js';
import { startJamulusClient } from '../harness/jamulus.js';
import { startRiffboxServer, CLI } from './support/riffbox-server.js';
import { ProbeClient } from './support/probe-client.js';
import { writeFileSync } from 'node:fs';
import dgram from 'node:dgram';

function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('riffbox server command line', { timeout: 60_000 }, () => {
  for (const [args, pattern] of [
    [['--port', '80'], /--port: .*1024/],
    [['--port', '70000'], /--port: .*65535/],
    [['--max-clients', '0'], /--max-clients/],
    [['--frobnicate'], /unknown option --frobnicate/],
    [['--port'], /--port needs a value/],
    [['--server-info', 'a;b'], /--server-info must be "NAME;CITY;CC"/],
    [['--name', 'x'.repeat(21)], /--name: .*20/],
  ] as const) {
    test(`bad flags ${JSON.stringify(args)} → one line on stderr, exit status 2`, () => {
      const r = runCli(['server', ...args]);
      assert.equal(r.status, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, pattern);
      assert.match(r.stderr, /^riffbox server: /);
    });
  }

  test('a port already in use is one clear line and exit status 1', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '0.0.0.0', () => r()));
    try {
      const r = runCli(['server', '--no-port-mapping', '--port', String(sock.address().port)]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /already in use/);
    } finally {
      sock.close();
    }
  });

  test('prints the ready line, answers, and stops cleanly on SIGTERM (clients get CLM_DISCONNECTION)', async () => {
    const g = new ProcessGroup('rb-cli');
    const probe = new ProbeClient({ serverPort: 0, name: 'p' });
    try {
      const port = await freeUdpPort();
      const p = g.spawn('server', process.execPath, [CLI, 'server', '--no-port-mapping', '--port', String(port)]);
      await p.waitForLine(new RegExp(`^riffbox server listening on udp/${port}$`, 'm'), 10_000);
      const client = new ProbeClient({ serverPort: port, name: 'Leaver' });
      await client.start();
      try {
        await client.waitFor(() => client.channelId >= 0, 5000, 'CLIENT_ID');
        process.kill(p.pid, 'SIGTERM');
        const status = await p.exited;
        assert.equal(status.code, 0, p.tail());
        await client.waitFor(() => client.clm.some((m) => m.name === 'CLM_DISCONNECTION'), 2000, 'CLM_DISCONNECTION');
      } finally {
        client.close();
      }
    } finally {
      probe.close();
      await g.stopAll();
    }
  });
});

describe('riffbox server JSON-RPC (Jamulus-compatible)', { timeout: 90_000 }, () => {
  test('authentication: 401 before apiAuth, 400 for a wrong secret; loopback only', async () => {
    const g = new ProcessGroup('rb-rpc-auth');
    try {
      const port = await freeUdpPort();
      const rpcPort = await freeTcpPort();
      const secret = randomSecret();
      const file = g.path('secret');
      writeFileSync(file, secret + '\n');
      const p = g.spawn('server', process.execPath, [CLI, 'server', '--no-port-mapping', '--port', String(port), '--jsonrpc-port', String(rpcPort), '--jsonrpc-secret-file', file]);
      await p.waitForLine(/listening/, 10_000);
      await assert.rejects(connect(rpcPort, 'x'.repeat(20), 3000), /JSON-RPC error 400: Authentication failed/);
      const { JsonRpcClient } = await import('../harness/jsonrpc-client.js');
      const raw = await JsonRpcClient.open(rpcPort, 3000);
      try {
        await assert.rejects(raw.call('jamulus/getVersion'), (e: unknown) => e instanceof JsonRpcError && e.code === 401);
      } finally {
        raw.close();
      }
      const { stdout } = await g.run('ss', 'ss', ['-ltnH', `sport = :${rpcPort}`]);
      // Columns: state, recv-q, send-q, local address, peer address: the local one must be loopback.
      const local = stdout.trim().split(/\s+/)[3];
      assert.match(String(local), /^127\.0\.0\.1:\d+$/, stdout);
    } finally {
      await g.stopAll();
    }
  });

  test('getMode, getVersion, getServerProfile, setServerName, setWelcomeMessage, getClients, broadcastChatMessage with a real client', async () => {
    const g = new ProcessGroup('rb-rpc');
    try {
      const server = await startRiffboxServer(g, { name: 'Rehearsal' });
      const rpc = server.rpc;
      assert.deepEqual(await rpc.call('jamulus/getMode'), { mode: 'server' });
      const version = await rpc.call<{ version: string }>('jamulus/getVersion');
      assert.match(version.version, /^\d+\.\d+\.\d+$/);

      const profile = await rpc.call<Record<string, unknown>>('jamulusserver/getServerProfile');
      assert.equal(profile.name, 'Rehearsal');
      assert.equal(typeof profile.registrationStatus, 'string');
      assert.equal(await rpc.call('jamulusserver/setServerName', { serverName: 'Garage' }), 'ok');
      assert.equal((await rpc.call<Record<string, unknown>>('jamulusserver/getServerProfile')).name, 'Garage');
      await assert.rejects(rpc.call('jamulusserver/setServerName', { serverName: 'x'.repeat(21) }), (e: unknown) => e instanceof JsonRpcError && e.code === -32602);
      await assert.rejects(rpc.call('jamulusserver/setServerName', {}), (e: unknown) => e instanceof JsonRpcError && e.code === -32602);
      assert.equal(await rpc.call('jamulusserver/setWelcomeMessage', { welcomeMessage: 'Hi <b>all</b>' }), 'ok');

      const jack = await startJackd(g, { frames: 128 });
      const c = await startJamulusClient(g, { server: server.address, jack, frames: 128, name: 'Carol' });
      const deadline = Date.now() + 5000;
      let clients: Array<Record<string, unknown>> = [];
      while (Date.now() < deadline) {
        clients = (await rpc.call<{ clients: Array<Record<string, unknown>> }>('jamulusserver/getClients')).clients;
        if (clients.some((x) => x.name === 'Carol')) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const carol = clients.find((x) => x.name === 'Carol');
      assert.ok(carol, JSON.stringify(clients));
      assert.equal(carol.channels, 1);
      assert.match(String(carol.address), /^127\.0\.0\.1:\d+$/);
      assert.equal(typeof carol.jitterBufferSize, 'number');

      const since = c.rpc!.client.notifications.length;
      assert.equal(await rpc.call('jamulusserver/broadcastChatMessage', { chatMessage: 'Soundcheck in 5' }), 'ok');
      await c.rpc!.client.waitForNotification('jamulusclient/chatTextReceived', (p) => p.chatText === 'Soundcheck in 5', 5000, since);
    } finally {
      await g.stopAll();
    }
  });
});
