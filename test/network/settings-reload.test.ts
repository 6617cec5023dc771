// Settings at runtime in the reproduced network: bad values are refused with a clear message and change
// nothing (not the store, not the running server); a port change by riffbox/reload rebinds the socket,
// tells connected clients the truth (CLM_DISCONNECTION: this address is gone) and moves the directory entry.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { ProcessGroup } from '../harness/processes.js';
import { HomeNetwork, ADDR, sweepStaleNamespaces, networkTestsUnavailable } from './netns.js';
import { startRiffbox, startDirectory, connectedWithin, waitForList, RIFFBOX_CLI } from './ns-peers.js';
import { createStore, startBoxMusician, sleep } from './scenario.js';

const skip = networkTestsUnavailable() ?? undefined;

function runCli(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [RIFFBOX_CLI, 'server', ...args], { timeout: 10000 }, (err, _out, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr });
    });
  });
}

describe('settings and reload on a running server', { skip, timeout: 180_000 }, () => {
  before(async () => {
    await sweepStaleNamespaces();
  });

  test('bad values (port 80, port 70000, a 200-character name, an unknown country) are refused with a clear message; store and server untouched', async () => {
    const net = await HomeNetwork.build();
    const g = new ProcessGroup('net-bad-settings');
    try {
      const { path, store } = createStore(g, { 'server.mode': 'private', 'server.name': 'Garage', 'server.country': 82 });
      const before = { rev: store.revision(), flat: JSON.stringify(store.getFlat()) };
      const long = 'x'.repeat(200);

      // On the command line (exit status 2, one line naming the flag and the rule).
      const cli: Array<[string[], RegExp]> = [
        [['--port', '80'], /--port: Port must be between 1024 and 65535/],
        [['--port', '70000'], /--port: Port must be between 1024 and 65535/],
        [['--name', long], /--name: Server name must be at most 20 characters/],
        [['--server-info', `${long};City;DE`], /--server-info: Server name must be at most 20 characters/],
        [['--server-info', 'Garage;City;XX'], /--server-info: Country: Unknown country "XX"/],
      ];
      for (const [args, message] of cli) {
        const r = await runCli(['--db', path, ...args]);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr.trim(), message);
        assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
      }
      assert.equal(store.revision(), before.rev);
      assert.equal(JSON.stringify(store.getFlat()), before.flat);

      // In the store, while the server runs: refused, nothing written, a reload changes nothing.
      const server = await startRiffbox(g, net, { db: path });
      const box = await startBoxMusician(g, net, 22124);
      const writes: Array<[Record<string, unknown>, RegExp]> = [
        [{ 'server.port': 80 }, /Port must be between 1024 and 65535/],
        [{ 'server.port': 70000 }, /Port must be between 1024 and 65535/],
        [{ 'server.name': long }, /Server name must be at most 20 characters/],
        [{ 'server.country': 99999 }, /Country/],
        // All or nothing: a good value next to a bad one is not written either.
        [{ 'server.city': 'Springfield', 'server.port': 80 }, /Port must be between 1024 and 65535/],
      ];
      for (const [patch, message] of writes) assert.throws(() => store.update(patch), message);
      assert.equal(store.revision(), before.rev);
      assert.equal(JSON.stringify(store.getFlat()), before.flat);
      const reload = await server.rpc.call<{ changed: string[]; restarted: boolean; port: number }>('riffbox/reload');
      assert.deepEqual(reload, { changed: [], restarted: false, port: 22124, registrationStatus: 'not_registered' });

      // Over JSON-RPC: refused with -32602 and the reason; the profile keeps its values.
      await assert.rejects(server.rpc.call('jamulusserver/setServerName', { serverName: long }), /-32602.*longer than 20/);
      await assert.rejects(server.rpc.call('jamulusserver/setDirectory', { directoryType: 'custom', directoryAddress: 'bad host:99999' }), /-32602.*Directory must be/);
      const profile = await server.rpc.call<{ name: string; directoryType: string }>('jamulusserver/getServerProfile');
      assert.equal(profile.name, 'Garage');
      assert.equal(profile.directoryType, 'none');
      assert.ok(await connectedWithin(box.client, 1000), 'the musician stayed connected throughout');
    } finally {
      await g.stopAll();
      await net.destroy();
    }
  });

  test('a port change by reload rebinds the socket, disconnects clients truthfully and moves the directory entry', async (t) => {
    const net = await HomeNetwork.build();
    const g = new ProcessGroup('net-port-change');
    try {
      const { path, store } = createStore(g, { 'server.mode': 'public', 'server.directory': `${ADDR.directory}:22124`, 'server.name': 'Garage', 'server.maxClients': 5 });
      await startDirectory(g, net);
      const server = await startRiffbox(g, net, { db: path });
      await waitForList(g, net, 'friend', (l) => l.some((e) => e.name === 'Garage' && e.port === 22124 && e.maxClients === 5), 5000);
      const box = await startBoxMusician(g, net, 22124);

      store.update({ 'server.port': 22120, 'server.maxClients': 8 });
      const r = await server.rpc.call<{ changed: string[]; restarted: boolean; port: number }>('riffbox/reload');
      assert.deepEqual(r.changed.sort(), ['server.maxClients', 'server.port']);
      assert.equal(r.restarted, true);
      assert.equal(r.port, 22120);
      const ports = await net.udpPorts('home');
      assert.ok(ports.has(22120) && !ports.has(22124), `bound: ${[...ports].join(', ')}`);

      // The old address says goodbye (CLM_DISCONNECTION) instead of leaving the client to time out after
      // 30 s. A headless 3.9.1 client reports it as jamulusclient/disconnected (its GUI would stop).
      const deadline = Date.now() + 3000;
      const told = (): boolean => box.client.rpc.notifications.some((n) => n.method === 'jamulusclient/disconnected');
      while (!told() && Date.now() < deadline) await sleep(50);
      assert.ok(told(), `the client was told the server left: ${JSON.stringify(box.client.rpc.notifications.map((n) => n.method))}`);
      t.diagnostic(`client told ${3000 - (deadline - Date.now())} ms after the reload`);

      // One entry, on the new port (the router maps 22120 → 22120), with the new max clients.
      const list = await waitForList(g, net, 'friend', (l) => l.some((e) => e.name === 'Garage' && e.port === 22120), 5000);
      const mine = list.filter((e) => e.name === 'Garage');
      assert.equal(mine.length, 1, JSON.stringify(mine));
      assert.equal(mine[0]!.maxClients, 8);
      assert.equal(mine[0]!.ip, ADDR.homeWan);
      const reg = await server.rpc.call<{ status: string }>('riffbox/getRegistration');
      assert.equal(reg.status, 'registered');
    } finally {
      await g.stopAll();
      await net.destroy();
    }
  });
});
