// Automatic port mapping against the real router software: Debian's miniupnpd in the home router's
// namespace, speaking one protocol at a time. The box maps its port by itself, a real Jamulus client
// behind the friend's NAT gets in through that mapping and hears the box, the lease is renewed before it
// ends, and the mapping goes away when it is no longer wanted.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessGroup } from '../harness/processes.js';
import { startJackd } from '../harness/jack.js';
import { HomeNetwork, ADDR, sweepStaleNamespaces, networkTestsUnavailable } from './netns.js';
import { startRiffbox, startNsClient, connectedWithin } from './ns-peers.js';
import { createStore, startBoxMusician, assertHears, FADE_IN_MS, sleep } from './scenario.js';
import { startMiniupnpd, type MappingProtocolName } from './miniupnpd.js';
import { waitMapped, reachability, entryOf, leaseExpiry, saveAndReload, waitUntil, portMapping } from './mapping-scenario.js';

const skip = networkTestsUnavailable() ?? undefined;
const LEASE_S = 10;
/** Short leases so renewals happen within the test; the router is asked every 2 s whether it still has the mapping. */
const FAST = `leaseS=${LEASE_S},checkMs=2000,retryBaseMs=2000`;

const LABEL: Readonly<Record<MappingProtocolName, RegExp>> = { upnp: /^UPnP IGD v1$/, 'nat-pmp': /^NAT-PMP$/, pcp: /^PCP$/ };

describe('automatic port mapping with miniupnpd as the home router', { skip, timeout: 600_000 }, () => {
  before(async () => {
    await sweepStaleNamespaces();
  });

  for (const protocol of ['upnp', 'nat-pmp', 'pcp'] as const) {
    test(`only ${protocol}: the box maps udp/22124, a friend behind NAT connects through it and hears the box, the lease is renewed before it ends`, async (t) => {
      const net = await HomeNetwork.build({ homeWan: ADDR.mappableWan });
      const g = new ProcessGroup(`net-map-${protocol}`);
      try {
        const upnpd = await startMiniupnpd(g, net, { protocols: [protocol], minLifetimeS: 4, igdV1: protocol === 'upnp' });
        const { path } = createStore(g, { 'server.mode': 'private', 'server.name': 'Garage' });
        const server = await startRiffbox(g, net, { db: path, mapperTimings: FAST });
        const { value: m, ms } = await waitMapped(server.rpc, 22124);
        t.diagnostic(`mapped by ${m.ipv4.label} in ${ms} ms (${m.ipv4.tried.join('; ')})`);
        assert.match(m.ipv4.label ?? '', LABEL[protocol]);
        assert.equal(m.ipv4.externalAddress, net.homeWan);
        assert.equal(m.ipv4.externalPort, 22124);
        assert.ok(await upnpd.hasMapping(22124), `miniupnpd's table: ${JSON.stringify(await upnpd.rules())}`);
        if (protocol === 'upnp') {
          // A second, independent control point sees the same mapping: miniupnpc's upnpc.
          const listing = await net.exec('home', 'upnpc', ['-l']);
          assert.match(listing, new RegExp(`UDP\\s+22124->${ADDR.box.replace(/\./g, '\\.')}:22124\\s+'riffbox'`), listing);
        }
        const firstExpiry = leaseExpiry(upnpd.leases(), 22124);
        assert.ok(firstExpiry, `lease file: ${upnpd.leases()}`);

        // The router says the way is open, but nobody came in yet: "as far as the box can tell", not proven.
        const before = entryOf(await reachability(server.rpc), 'ipv4');
        assert.deepEqual([before.verdict, before.reason, before.address], ['likely', 'mapped', net.homeWan]);

        await startBoxMusician(g, net, 22124);
        const friendJack = await startJackd(g, { frames: 128 });
        const friend = await startNsClient(g, net, { role: 'friend', server: `${net.homeWan}:22124`, jack: friendJack, name: 'Friend', portBase: 30000, rpcPort: 22150 });
        assert.ok(await connectedWithin(friend, 10000), `the friend connects through the mapping\n${g.describe()}`);
        await sleep(FADE_IN_MS);
        t.diagnostic('friend hears the box: ' + (await assertHears(t, g, friendJack, friend, `friend-${protocol}`)));

        // Past the first lease's end: the router still has the mapping because the box renewed it.
        const waitMs = firstExpiry * 1000 + 2000 - Date.now();
        if (waitMs > 0) await sleep(waitMs);
        const after = await portMapping(server.rpc);
        assert.ok(after.ipv4.renewals >= 1, `renewed: ${JSON.stringify(after.ipv4)}`);
        assert.ok(await upnpd.hasMapping(22124), 'the mapping outlived its first lease');
        const expiry = leaseExpiry(upnpd.leases(), 22124);
        assert.ok(expiry !== null && expiry > firstExpiry && expiry * 1000 > Date.now(), `lease moved from ${firstExpiry} to ${expiry}`);
        t.diagnostic(`${after.ipv4.renewals} renewals; router lease ${firstExpiry} → ${expiry}`);

        const proven = entryOf(await reachability(server.rpc), 'ipv4');
        assert.deepEqual([proven.verdict, proven.reason, proven.params.from], ['proven', 'inbound_connection', ADDR.friendWan]);
      } finally {
        await g.stopAll();
        await net.destroy();
      }
    });
  }

  test('after a mode switch, a port change, mapping switched off and a service stop, the mapping is gone from miniupnpd\'s table', async (t) => {
    for (const protocol of ['pcp', 'nat-pmp', 'upnp'] as const) {
      const net = await HomeNetwork.build({ homeWan: ADDR.mappableWan });
      const g = new ProcessGroup(`net-unmap-${protocol}`);
      try {
        const upnpd = await startMiniupnpd(g, net, { protocols: [protocol], minLifetimeS: 4 });
        const { path, store } = createStore(g, { 'server.mode': 'private', 'server.directory': `${ADDR.silentHost}:22124` });
        const server = await startRiffbox(g, net, { db: path, mapperTimings: FAST });
        await waitMapped(server.rpc, 22124);
        assert.ok(await upnpd.hasMapping(22124));

        await saveAndReload(store, server.rpc, { 'server.mode': 'public' });
        assert.equal(await upnpd.hasMapping(22124), false, `${protocol}: public mode removes it`);
        assert.equal((await portMapping(server.rpc)).ipv4.state, 'off');

        await saveAndReload(store, server.rpc, { 'server.mode': 'private' });
        await waitMapped(server.rpc, 22124);
        assert.ok(await upnpd.hasMapping(22124));

        await saveAndReload(store, server.rpc, { 'server.port': 22126 });
        assert.equal(await upnpd.hasMapping(22124), false, `${protocol}: the old port is unmapped`);
        await waitMapped(server.rpc, 22126);
        assert.ok(await upnpd.hasMapping(22126), `${protocol}: the new port is mapped`);

        await saveAndReload(store, server.rpc, { 'server.portMapping': false });
        assert.equal(await upnpd.hasMapping(22126), false, `${protocol}: switched off`);
        await saveAndReload(store, server.rpc, { 'server.portMapping': true });
        await waitMapped(server.rpc, 22126);

        await server.stop();
        assert.equal(await upnpd.hasMapping(22126), false, `${protocol}: the service stop removes it`);
        assert.deepEqual(await upnpd.rules(), [], `${protocol}: nothing left in miniupnpd's table`);
        t.diagnostic(`${protocol}: removed on mode switch, port change, switch-off and stop`);
      } finally {
        await g.stopAll();
        await net.destroy();
      }
    }
  });

  test('miniupnpd restarted (its table lost): the box maps again within 30 s, by PCP\'s announcement and by UPnP\'s failing check', async (t) => {
    for (const protocol of ['pcp', 'upnp'] as const) {
      const net = await HomeNetwork.build({ homeWan: ADDR.mappableWan });
      const g = new ProcessGroup(`net-restart-${protocol}`);
      try {
        const upnpd = await startMiniupnpd(g, net, { protocols: [protocol] });
        const { path } = createStore(g, { 'server.mode': 'private' });
        // Production timings: the router is asked every 20 s.
        const server = await startRiffbox(g, net, { db: path });
        await waitMapped(server.rpc, 22124);
        const started = Date.now();
        // restart() empties the table (and the lease file) before miniupnpd comes back, as a reboot does.
        await upnpd.restart();
        // Both sides: miniupnpd's table gets the entry a moment before the box has read the router's answer.
        const { value: m } = await waitUntil('the mapping back in miniupnpd\'s table and the box saying so', async () => {
          const answer = await portMapping(server.rpc);
          return { ...answer.ipv4, inRouterTable: await upnpd.hasMapping(22124) };
        }, (v) => v.state === 'mapped' && v.remaps >= 1 && v.inRouterTable, 30_000);
        t.diagnostic(`${protocol}: mapped again ${Date.now() - started} ms after the restart began (${m.remaps} remap)`);
      } finally {
        await g.stopAll();
        await net.destroy();
      }
    }
  });
});
