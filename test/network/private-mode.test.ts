// Private mode as the Jamulus "running a private server" guide describes it: behind a NAT router the friend
// gets in only through a UDP port forward, and a non-default port means typing host:port.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessGroup } from '../harness/processes.js';
import { startJackd } from '../harness/jack.js';
import { HomeNetwork, ADDR, sweepStaleNamespaces, networkTestsUnavailable } from './netns.js';
import { startRiffbox, startDirectory, startNsClient, connectedWithin, queryList } from './ns-peers.js';
import { createStore, startBoxMusician, assertHears, FADE_IN_MS, sleep } from './scenario.js';

const skip = networkTestsUnavailable() ?? undefined;

describe('private mode behind a home NAT router', { skip, timeout: 180_000 }, () => {
  before(async () => {
    await sweepStaleNamespaces();
  });

  test('no forward: the friend cannot connect; UDP 22124 forwarded: the friend connects and hears the box', async (t) => {
    const net = await HomeNetwork.build();
    const g = new ProcessGroup('net-private-22124');
    try {
      const { path } = createStore(g, { 'server.mode': 'private', 'server.name': 'Garage', 'server.directory': `${ADDR.directory}:22124` });
      await startDirectory(g, net);
      const server = await startRiffbox(g, net, { db: path });
      await startBoxMusician(g, net, 22124);
      const friendJack = await startJackd(g, { frames: 128 });

      const reg = await server.rpc.call<{ status: string; directory: string }>('riffbox/getRegistration');
      assert.equal(reg.status, 'not_registered');
      assert.equal(reg.directory, '');
      const list = await queryList(g, net, 'friend');
      assert.ok(list.full, 'the directory answered');
      assert.ok(!list.full.some((e) => e.name === 'Garage'), `a private server is not listed: ${JSON.stringify(list.full)}`);

      const blocked = await startNsClient(g, net, { role: 'friend', server: `${ADDR.homeWan}:22124`, jack: friendJack, name: 'Friend', portBase: 30000, rpcPort: 22150 });
      assert.equal(await connectedWithin(blocked, 6000), false, 'without a port forward the router drops the friend');
      const clients = await server.rpc.call<{ clients: Array<{ name: string }> }>('jamulusserver/getClients');
      assert.deepEqual(clients.clients.map((c) => c.name), ['Box']);
      await blocked.stop();

      await net.forward(22124);
      const friend = await startNsClient(g, net, { role: 'friend', server: `${ADDR.homeWan}:22124`, jack: friendJack, name: 'Friend', portBase: 30300, rpcPort: 22151 });
      assert.ok(await connectedWithin(friend, 10000), `with UDP 22124 forwarded the friend connects\n${g.describe()}`);
      await sleep(FADE_IN_MS);
      t.diagnostic('friend hears the box: ' + await assertHears(t, g, friendJack, friend, 'friend-22124'));
      const after = await server.rpc.call<{ clients: Array<{ name: string; address: string }> }>('jamulusserver/getClients');
      const seen = after.clients.find((c) => c.name === 'Friend');
      // The box sees the friend's public (NATed) address, not 10.77.0.2.
      assert.ok(seen?.address.startsWith(`${ADDR.friendWan}:`), JSON.stringify(after.clients));
    } finally {
      await g.stopAll();
      await net.destroy();
    }
  });

  test('port 22120 with the matching forward: the friend connects to host:22120 and hears the box', async (t) => {
    const net = await HomeNetwork.build();
    const g = new ProcessGroup('net-private-22120');
    try {
      const { path } = createStore(g, { 'server.mode': 'private', 'server.port': 22120, 'server.name': 'Garage' });
      await startRiffbox(g, net, { db: path });
      await net.forward(22120);
      const box = await startBoxMusician(g, net, 22120);
      const friendJack = await startJackd(g, { frames: 128 });
      // The default port is forwarded to nothing: typing the bare host does not reach the box.
      const wrong = await startNsClient(g, net, { role: 'friend', server: ADDR.homeWan, jack: friendJack, name: 'Friend', portBase: 30000, rpcPort: 22150 });
      assert.equal(await connectedWithin(wrong, 5000), false, 'host without :22120 does not connect');
      await wrong.stop();
      const friend = await startNsClient(g, net, { role: 'friend', server: `${ADDR.homeWan}:22120`, jack: friendJack, name: 'Friend', portBase: 30300, rpcPort: 22151 });
      assert.ok(await connectedWithin(friend, 10000), `friend connects to ${ADDR.homeWan}:22120\n${g.describe()}`);
      await sleep(FADE_IN_MS);
      t.diagnostic('friend hears the box: ' + await assertHears(t, g, friendJack, friend, 'friend-22120'));
      void box;
    } finally {
      await g.stopAll();
      await net.destroy();
    }
  });
});
