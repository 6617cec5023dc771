// IPv6 for a line without public IPv4 (DS-Lite style): the home router has no IPv4 upstream, and its
// firewall drops unsolicited inbound IPv6 like everything else. The box asks miniupnpd for a pinhole
// (PCP over IPv6 to its link-local router), a real Jamulus 3.9.1 client started with -6 connects to
// the box's global IPv6 address and hears it, the report tells IPv4 from IPv6 honestly, and the DDNS
// page renders a ddclient config that publishes the AAAA record.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessGroup } from '../harness/processes.js';
import { startJackd } from '../harness/jack.js';
import { AdminHttp } from '../browser/admin-http.js';
import { readClaimCode } from '../browser/admin-instance.js';
import { HomeNetwork, ADDR6, sweepStaleNamespaces, networkTestsUnavailable } from './netns.js';
import { startRiffbox, startNsClient, connectedWithin, startNsAdmin } from './ns-peers.js';
import { createStore, startBoxMusician, assertHears, FADE_IN_MS, sleep } from './scenario.js';
import { startMiniupnpd } from './miniupnpd.js';
import { waitUntil, portMapping, reachability, entryOf } from './mapping-scenario.js';

const skip = networkTestsUnavailable() ?? undefined;

describe('IPv6 on a DS-Lite-style line', { skip, timeout: 300_000 }, () => {
  before(async () => {
    await sweepStaleNamespaces();
  });

  test('the pinhole is made, a real Jamulus -6 client connects to the box\'s IPv6 address and hears it, and ddclient\'s config publishes the AAAA record', async (t) => {
    const net = await HomeNetwork.build({ ipv6: true, noIPv4Upstream: true });
    const g = new ProcessGroup('net-ipv6');
    try {
      const upnpd = await startMiniupnpd(g, net, { protocols: ['upnp', 'nat-pmp', 'pcp'], ipv6: true });
      const { path } = createStore(g, { 'server.mode': 'private', 'server.name': 'Garage' });
      const friendJack = await startJackd(g, { frames: 128 });

      // Without the pinhole the router's firewall drops the friend: nothing gets in by accident.
      const closed = await startRiffbox(g, net, { db: path, args: ['--no-port-mapping'] });
      const blocked = await startNsClient(g, net, { role: 'friend', server: `[${ADDR6.box}]:22124`, jack: friendJack, name: 'Friend', portBase: 30000, rpcPort: 22150, extraArgs: ['-6'] });
      assert.equal(await connectedWithin(blocked, 5000), false, 'the router drops inbound IPv6 without a pinhole');
      await blocked.stop();
      await closed.stop();

      const box = await startRiffbox(g, net, { db: path, mapperTimings: 'checkMs=2000,retryBaseMs=2000' });
      const { value: m } = await waitUntil('the IPv6 pinhole', () => portMapping(box.rpc), (x) => x.ipv6.state === 'mapped', 15000);
      t.diagnostic(`pinhole by ${m.ipv6.label} via ${m.ipv6.gateway}; IPv4: ${m.ipv4.state} (${m.ipv4.lastError ?? ''})`);
      assert.equal(m.ipv6.externalAddress, ADDR6.box);
      assert.ok((await upnpd.pinholes()).some((l) => l.includes('dport 22124')), `miniupnpd's pinholes: ${JSON.stringify(await upnpd.pinholes())}`);

      const before = await reachability(box.rpc);
      assert.deepEqual([entryOf(before, 'ipv6').verdict, entryOf(before, 'ipv6').reason, entryOf(before, 'ipv6').address], ['likely', 'pinhole', ADDR6.box]);
      assert.deepEqual([entryOf(before, 'ipv4').verdict, entryOf(before, 'ipv4').reason], ['not_reachable', 'no_public_ipv4']);

      await startBoxMusician(g, net, 22124);
      const friend = await startNsClient(g, net, { role: 'friend', server: `[${ADDR6.box}]:22124`, jack: friendJack, name: 'Friend', portBase: 30300, rpcPort: 22151, extraArgs: ['-6'] });
      assert.ok(await connectedWithin(friend, 10000), `the -6 friend connects through the pinhole\n${g.describe()}`);
      await sleep(FADE_IN_MS);
      t.diagnostic('friend hears the box over IPv6: ' + (await assertHears(t, g, friendJack, friend, 'friend-ipv6')));
      const clients = await box.rpc.call<{ clients: Array<{ name: string; address: string }> }>('jamulusserver/getClients');
      assert.ok(clients.clients.some((c) => c.name === 'Friend' && c.address.startsWith(`[${ADDR6.friend}]:`)), JSON.stringify(clients.clients));
      const after = entryOf(await reachability(box.rpc), 'ipv6');
      assert.deepEqual([after.verdict, after.reason, after.params.from], ['proven', 'inbound_connection', ADDR6.friend]);

      // DDNS for this line: the AAAA record only, from the interface that holds the box's IPv6 address.
      const admin = await startNsAdmin(g, net, box);
      const web = new AdminHttp(admin.base);
      await web.setup('a good password', readClaimCode(g.path('root')));
      await web.get('/ddns');
      const r = await web.post('/ddns', {
        'ddns.enabled': 'true', 'ddns.provider': 'duckdns', 'ddns.host': 'garage-band.duckdns.org', 'ddns.token': 'not-a-real-token',
        'ddns.addresses': 'ipv6', action: 'save',
      }, { 'HX-Request': 'true' });
      assert.equal(r.status, 200, r.text);
      const conf = readFileSync(join(g.path('root'), 'etc/ddclient.conf'), 'utf8');
      assert.match(conf, /^usev6=ifv6$/m);
      assert.match(conf, /^ifv6=eth0$/m);
      assert.match(conf, /^usev4=disabled$/m);
      const eth0 = await net.exec('home', 'ip', ['-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'global']);
      assert.ok(eth0.includes(ADDR6.box), `ddclient reads the AAAA address from eth0: ${eth0}`);
      const network = await web.get('/network');
      assert.ok(network.text.includes(`<code>${ADDR6.box}</code>`), 'the Network page shows the global IPv6 address');
    } finally {
      await g.stopAll();
      await net.destroy();
    }
  });

  test('a router with UPnP IGD v2 only: the pinhole is made through WANIPv6FirewallControl, over IPv6, and a -6 friend gets in', async (t) => {
    const net = await HomeNetwork.build({ ipv6: true, noIPv4Upstream: true });
    const g = new ProcessGroup('net-ipv6-upnp');
    try {
      const upnpd = await startMiniupnpd(g, net, { protocols: ['upnp'], ipv6: true });
      const { path } = createStore(g, { 'server.mode': 'private' });
      const box = await startRiffbox(g, net, { db: path, mapperTimings: 'checkMs=2000,retryBaseMs=2000' });
      const { value: m } = await waitUntil('the IPv6 pinhole', () => portMapping(box.rpc), (x) => x.ipv6.state === 'mapped', 15000);
      assert.equal(m.ipv6.label, 'UPnP IGD v2');
      t.diagnostic(`pinhole by ${m.ipv6.label}; searched: ${m.ipv6.tried.join('; ')}`);
      assert.ok((await upnpd.pinholes()).some((l) => l.includes('dport 22124')), `miniupnpd's pinholes: ${JSON.stringify(await upnpd.pinholes())}`);
      const friendJack = await startJackd(g, { frames: 128 });
      const friend = await startNsClient(g, net, { role: 'friend', server: `[${ADDR6.box}]:22124`, jack: friendJack, name: 'Friend', portBase: 30000, rpcPort: 22150, extraArgs: ['-6'] });
      assert.ok(await connectedWithin(friend, 10000), `the -6 friend connects through the UPnP pinhole\n${g.describe()}`);
      await box.stop();
      assert.deepEqual(await upnpd.pinholes(), [], 'the service stop deletes the pinhole');
    } finally {
      await g.stopAll();
      await net.destroy();
    }
  });
});
