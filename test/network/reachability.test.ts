// The reachability report told honestly, on the admin pages a phone shows: a router that speaks no
// mapping protocol (the page gives the manual rule, the report says "not reachable" once the friend's
// attempt has failed, and never "reachable"), and a router behind the provider's carrier-grade NAT
// (the report says so and points to public mode or IPv6).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessGroup } from '../harness/processes.js';
import { startJackd } from '../harness/jack.js';
import { AdminHttp } from '../browser/admin-http.js';
import { readClaimCode } from '../browser/admin-instance.js';
import { HomeNetwork, ADDR, sweepStaleNamespaces, networkTestsUnavailable } from './netns.js';
import { startRiffbox, startNsClient, connectedWithin, startNsAdmin } from './ns-peers.js';
import { createStore } from './scenario.js';
import { startMiniupnpd } from './miniupnpd.js';
import { waitUntil, portMapping, reachability, entryOf } from './mapping-scenario.js';

const skip = networkTestsUnavailable() ?? undefined;
const FAST = 'checkMs=2000,retryBaseMs=2000';

describe('the reachability report and the admin pages', { skip, timeout: 300_000 }, () => {
  before(async () => {
    await sweepStaleNamespaces();
  });

  test('a router without any mapping protocol: the Network page shows the manual rule, the report says "not reachable" after the friend\'s attempt fails, never "reachable"', async () => {
    const net = await HomeNetwork.build({ homeWan: ADDR.mappableWan });
    const g = new ProcessGroup('net-reach-none');
    try {
      const { path } = createStore(g, { 'server.mode': 'private', 'server.name': 'Garage' });
      const server = await startRiffbox(g, net, { db: path, mapperTimings: FAST });
      const admin = await startNsAdmin(g, net, server);
      await waitUntil('the search for a mapping protocol to end', () => portMapping(server.rpc), (m) => m.ipv4.state === 'no_protocol', 15000);

      // The friend tries while the report is read again and again: it must never claim reachability.
      const friendJack = await startJackd(g, { frames: 128 });
      const friend = await startNsClient(g, net, { role: 'friend', server: `${net.homeWan}:22124`, jack: friendJack, name: 'Friend', portBase: 30000, rpcPort: 22150 });
      const verdicts = new Set<string>();
      const attempt = connectedWithin(friend, 6000);
      let settled = false;
      void attempt.finally(() => (settled = true));
      while (!settled) {
        for (const e of (await reachability(server.rpc)).entries) if (e.kind !== 'ipv6') verdicts.add(e.verdict);
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.equal(await attempt, false, 'without a mapping or forward the router drops the friend');
      assert.ok(!verdicts.has('proven') && !verdicts.has('likely'), `never reachable: ${[...verdicts].join(', ')}`);

      const v4 = entryOf(await reachability(server.rpc), 'ipv4');
      assert.deepEqual([v4.verdict, v4.reason, v4.next], ['not_reachable', 'no_mapping_protocol', 'forward_manually']);

      const web = new AdminHttp(admin.base);
      await web.setup('a good password', readClaimCode(g.path('root')));
      const page = await web.get('/network');
      assert.equal(page.status, 200);
      // The manual rule: UDP, port 22124, to the box's LAN address.
      const rule = /<dl class="facts" id="forward-rule">([\s\S]*?)<\/dl>/.exec(page.text)?.[1] ?? '';
      assert.match(rule, /<code>UDP<\/code>/);
      assert.equal((rule.match(/<code>22124<\/code>/g) ?? []).length, 2, rule);
      assert.ok(rule.includes(`<code>${ADDR.box}</code>`), rule);
      assert.match(page.text, /answered none of UPnP, NAT-PMP or PCP/);
      const status = await web.get('/status/reach');
      assert.match(status.text, /data-verdict="not_reachable"/);
      assert.match(status.text, /not reachable/);
      assert.doesNotMatch(status.text, /data-verdict="(proven|likely)"/);
      assert.match(status.text, /Forward UDP port 22124 to the box/);
    } finally {
      await g.stopAll();
      await net.destroy();
    }
  });

  test('double NAT (the router\'s external address is 100.64.x.x): the report says carrier-grade NAT and suggests public mode or IPv6', async () => {
    const net = await HomeNetwork.build({ homeWan: ADDR.cgnatWan });
    const g = new ProcessGroup('net-reach-cgnat');
    try {
      // miniupnpd refuses to map from a shared WAN address; its PCP answer still names that address.
      await startMiniupnpd(g, net, { protocols: ['upnp', 'nat-pmp', 'pcp'] });
      const { path } = createStore(g, { 'server.mode': 'private' });
      const server = await startRiffbox(g, net, { db: path, mapperTimings: FAST });
      const admin = await startNsAdmin(g, net, server);
      const { value: m } = await waitUntil('the router\'s answer', () => portMapping(server.rpc), (x) => x.ipv4.state === 'refused', 15000);
      assert.equal(m.ipv4.externalAddress, ADDR.cgnatWan, JSON.stringify(m.ipv4));

      const v4 = entryOf(await reachability(server.rpc), 'ipv4');
      assert.deepEqual([v4.verdict, v4.reason, v4.next], ['not_reachable', 'cgnat', 'public_mode_or_ipv6']);
      assert.equal(v4.address, null, 'a shared address is nothing a friend can use');

      const web = new AdminHttp(admin.base);
      await web.setup('a good password', readClaimCode(g.path('root')));
      const status = await web.get('/status/reach');
      assert.match(status.text, /carrier-grade NAT/);
      assert.match(status.text, /Use public mode/);
      assert.match(status.text, /IPv6/);
      const page = await web.get('/network');
      assert.match(page.text, /100\.64\.77\.1 is your provider&#39;s shared address \(carrier-grade NAT\)/);
    } finally {
      await g.stopAll();
      await net.destroy();
    }
  });

  test('a port forwarded by hand, mapping off: "unknown" without evidence, "proven" once the router loops the box\'s own probe back', async () => {
    const net = await HomeNetwork.build({ homeWan: ADDR.mappableWan });
    const g = new ProcessGroup('net-reach-hairpin');
    try {
      // The owner forwarded the port and typed the public address; the box cannot ask the router.
      const { path } = createStore(g, { 'server.mode': 'private', 'server.portMapping': false, 'server.publicIp': ADDR.mappableWan });
      const server = await startRiffbox(g, net, { db: path });
      await net.forward(22124);
      const plain = entryOf(await reachability(server.rpc), 'ipv4');
      assert.deepEqual([plain.verdict, plain.reason], ['unknown', 'mapping_off'], 'a forward the box cannot see is not claimed');
      assert.equal((await reachability(server.rpc)).hairpin?.ok, false, 'this router does not loop back: the probe got nothing, which proves nothing');
      await net.forward(22124, { hairpin: true });
      // A failed probe is reused for 10 s, then the box probes again.
      const { value } = await waitUntil('a proof by hairpin', () => reachability(server.rpc), (r) => entryOf(r, 'ipv4').verdict === 'proven', 20_000);
      const proven = entryOf(value, 'ipv4');
      assert.deepEqual([proven.reason, proven.address], ['hairpin_ok', ADDR.mappableWan]);
    } finally {
      await g.stopAll();
      await net.destroy();
    }
  });
});
