// Public mode with no port forward: the box registers with a real Jamulus directory on the "Internet", the
// friend behind its own NAT finds it in the list, the directory's CLM_SEND_EMPTY_MESSAGE makes the box open
// its router for the friend (hole punching), and the keep-alive holds the box's NAT mapping open.
// 203.0.113.0/24 counts as public for the directory (§6.4: only 10/8, 127/8, 172.16/12 and 192.168/16 do
// not), which is what makes it punch holes here exactly as on the real Internet.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessGroup } from '../harness/processes.js';
import { startJackd } from '../harness/jack.js';
import { HomeNetwork, ADDR, sweepStaleNamespaces, networkTestsUnavailable } from './netns.js';
import { startRiffbox, startDirectory, startNsClient, connectedWithin, listAndHold, queryList, waitForList, type ListEntry } from './ns-peers.js';
import { createStore, startBoxMusician, assertHears, FADE_IN_MS, sleep } from './scenario.js';

const skip = networkTestsUnavailable() ?? undefined;

/** The routers' UDP conntrack timeout in these tests (Linux default 30 s unreplied, 120–180 s stream). */
const UDP_TIMEOUT_S = 4;
/** Keep-alive shorter than the router's timeout, as 59 s is shorter than real routers' 60–300 s. */
const FAST_KEEPALIVE = 'keepAliveMs=1000';

const GERMANY = 82;

function boxMapping(lines: string[]): string | undefined {
  return lines.find((l) => l.includes(`src=${ADDR.box} dst=${ADDR.directory} sport=22124 dport=22124`));
}

function listed(list: ListEntry[], name: string): ListEntry | undefined {
  return list.find((e) => e.name === name);
}

interface Registration {
  status: string;
  directory: string;
  directoryIp: string;
  internalAddress: string;
}

async function waitForStatus(rpc: { call<T>(m: string, p?: Record<string, unknown>): Promise<T> }, want: string, timeoutMs: number): Promise<Registration> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await rpc.call<Registration>('riffbox/getRegistration');
    if (r.status === want) return r;
    if (Date.now() > deadline) throw new Error(`registration status stayed ${JSON.stringify(r)}, wanted ${want}`);
    await sleep(100);
  }
}

describe('public mode without a port forward', { skip, timeout: 240_000 }, () => {
  before(async () => {
    await sweepStaleNamespaces();
  });

  test('listed with name, city, country and max clients; the friend connects through the hole punch and hears the box; the mapping outlives 2x the router timeout', async (t) => {
    const net = await HomeNetwork.build({ udpTimeoutS: UDP_TIMEOUT_S });
    const g = new ProcessGroup('net-public');
    try {
      // The store says private; the Jamulus-style flags make this run public (flags override the store).
      const { path } = createStore(g, { 'server.mode': 'private', 'server.maxClients': 7 });
      await startDirectory(g, net);
      const server = await startRiffbox(g, net, {
        db: path,
        timings: FAST_KEEPALIVE,
        args: ['--mode', 'public', '--directory', ADDR.directory, '--server-info', 'Garage;Springfield;DE'],
      });
      const reg = await waitForStatus(server.rpc, 'registered', 5000);
      assert.equal(reg.directoryIp, ADDR.directory);
      assert.equal(reg.internalAddress, ADDR.box, 'the internal address field carries the LAN address');

      const profile = await server.rpc.call<Record<string, unknown>>('jamulusserver/getServerProfile');
      assert.deepEqual(
        { ...profile, welcomeMessage: undefined },
        {
          name: 'Garage', city: 'Springfield', countryId: GERMANY, welcomeMessage: undefined,
          directoryServer: ADDR.directory, directory: ADDR.directory, directoryType: 'custom', directoryAddress: ADDR.directory,
          registrationStatus: 'registered',
        },
      );

      const list = await waitForList(g, net, 'friend', (l) => !!listed(l, 'Garage'), 5000);
      assert.deepEqual(listed(list, 'Garage'), {
        ip: ADDR.homeWan, port: 22124, country: GERMANY, maxClients: 7, permanent: false, name: 'Garage', internalAddress: '', city: 'Springfield',
      });
      assert.equal(list[0]?.name, 'Net Directory');

      await startBoxMusician(g, net, 22124);
      const friendJack = await startJackd(g, { frames: 128 });

      // As a Jamulus GUI client: list request and connection from the same socket (see list-query.ts).
      const held = await listAndHold(g, net, 'friend', 30000);
      const entry = listed(held.list.full ?? [], 'Garage');
      assert.ok(entry, JSON.stringify(held.list));
      const friend = await startNsClient(g, net, { role: 'friend', server: `${entry.ip}:${entry.port}`, jack: friendJack, name: 'Friend', portBase: 30000, rpcPort: 22150 });
      await held.process.waitForLine(/^TAKEN /, 5000);
      assert.equal(friend.port, held.list.port, 'the client sends from the port the directory saw');
      assert.ok(await connectedWithin(friend, 10000), `the friend connects through the hole punch\n${g.describe()}`);
      // The router's entry for the friend was opened from inside, by the box's CLM_EMPTY_MESSAGE: its
      // original direction is box → friend, which only the directory's CLM_SEND_EMPTY_MESSAGE causes.
      const punched = (await net.conntrack('hrouter')).find((l) => l.includes(`src=${ADDR.box} dst=${ADDR.friendWan} sport=22124 dport=${held.list.port}`));
      assert.ok(punched, `hole punched by the box: ${(await net.conntrack('hrouter')).join('\n')}`);
      await sleep(FADE_IN_MS);
      t.diagnostic('friend hears the box: ' + await assertHears(t, g, friendJack, friend, 'friend-hole-punch'));
      await friend.stop();

      // Only keep-alives flow now. After more than twice the router's timeout the box's mapping must still
      // be the same one (port 22124 kept), and a new friend must still get through.
      const idleMs = 2 * UDP_TIMEOUT_S * 1000 + 2000;
      await sleep(idleMs);
      const mapping = boxMapping(await net.conntrack('hrouter'));
      assert.ok(mapping, `after ${idleMs} ms idle the box's mapping is still in the router`);
      assert.match(mapping, new RegExp(`src=${ADDR.directory} dst=${ADDR.homeWan} sport=22124 dport=22124`));
      t.diagnostic(`router entry after ${idleMs} ms: ${mapping.replace(/\s+/g, ' ')}`);

      const held2 = await listAndHold(g, net, 'friend', 31000);
      const friend2 = await startNsClient(g, net, { role: 'friend', server: `${ADDR.homeWan}:22124`, jack: friendJack, name: 'Friend2', portBase: 31000, rpcPort: 22152 });
      await held2.process.waitForLine(/^TAKEN /, 5000);
      assert.ok(await connectedWithin(friend2, 10000), `after the idle period a new friend still gets in\n${g.describe()}`);
      await sleep(FADE_IN_MS);
      t.diagnostic('friend hears the box: ' + await assertHears(t, g, friendJack, friend2, 'friend-after-idle', 2));
    } finally {
      await g.stopAll();
      await net.destroy();
    }
  });

  test('negative control: with only the 59 s keep-alive the 4 s mapping expires and the friend cannot get in', async (t) => {
    const net = await HomeNetwork.build({ udpTimeoutS: UDP_TIMEOUT_S });
    const g = new ProcessGroup('net-public-expiry');
    try {
      const { path } = createStore(g, { 'server.mode': 'public', 'server.directory': `${ADDR.directory}:22124`, 'server.name': 'Garage' });
      await startDirectory(g, net);
      const server = await startRiffbox(g, net, { db: path });
      await waitForStatus(server.rpc, 'registered', 5000);
      await waitForList(g, net, 'friend', (l) => !!listed(l, 'Garage'), 5000);
      // The directory pings its servers every 59 s too; if one lands inside the window, wait again.
      let gone = false;
      for (let i = 0; i < 4 && !gone; i++) {
        await sleep(UDP_TIMEOUT_S * 1000 + 1500);
        gone = boxMapping(await net.conntrack('hrouter')) === undefined;
      }
      assert.ok(gone, 'without a fast keep-alive the router forgets the mapping');
      const friendJack = await startJackd(g, { frames: 128 });
      const held = await listAndHold(g, net, 'friend', 30000);
      assert.ok(listed(held.list.full ?? [], 'Garage'), 'the directory still lists the box (entries live 33 min)');
      const friend = await startNsClient(g, net, { role: 'friend', server: `${ADDR.homeWan}:22124`, jack: friendJack, name: 'Friend', portBase: 30000, rpcPort: 22150 });
      assert.equal(await connectedWithin(friend, 6000), false, 'the directory could not reach the box to punch the hole');
      t.diagnostic('expired mapping: friend blocked, as expected');
    } finally {
      await g.stopAll();
      await net.destroy();
    }
  });

  test('public → private unregisters at once, back to public re-registers; setDirectory and a name change act at once', async () => {
    const net = await HomeNetwork.build({ hosts: { home: `${ADDR.directory} directory.example` } });
    const g = new ProcessGroup('net-public-switch');
    try {
      // A host name, resolved by the box's system resolver (here from its /etc/hosts).
      const { path, store } = createStore(g, { 'server.mode': 'public', 'server.directory': 'directory.example:22124', 'server.name': 'Garage' });
      await startDirectory(g, net);
      // 48 h and 15 min shrunk to 1.5 s and 2 s, to see the permanent flag appear with a re-registration.
      const server = await startRiffbox(g, net, { db: path, timings: 'permanentAfterMs=1500,reregisterMs=2000' });
      const reg = await waitForStatus(server.rpc, 'registered', 5000);
      assert.equal(reg.directoryIp, ADDR.directory);
      await waitForList(g, net, 'friend', (l) => !!listed(l, 'Garage'), 5000);

      store.update({ 'server.mode': 'private' });
      const reload = await server.rpc.call<{ changed: string[]; restarted: boolean }>('riffbox/reload');
      assert.deepEqual(reload.changed, ['server.mode']);
      assert.equal(reload.restarted, false);
      // "At once": the very next list request no longer has it.
      const after = await queryList(g, net, 'friend');
      assert.ok(after.full && !listed(after.full, 'Garage'), `unregistered: ${JSON.stringify(after.full)}`);
      assert.equal((await server.rpc.call<Registration>('riffbox/getRegistration')).status, 'not_registered');

      store.update({ 'server.mode': 'public' });
      await server.rpc.call('riffbox/reload');
      await waitForStatus(server.rpc, 'registered', 5000);
      await waitForList(g, net, 'friend', (l) => !!listed(l, 'Garage'), 3000);

      // Jamulus 3.12's setDirectory: none leaves, custom comes back.
      assert.equal(await server.rpc.call('jamulusserver/setDirectory', { directoryType: 'none' }), 'ok');
      const gone = await queryList(g, net, 'friend');
      assert.ok(gone.full && !listed(gone.full, 'Garage'), 'setDirectory none unregisters');
      const profileNone = await server.rpc.call<Record<string, unknown>>('jamulusserver/getServerProfile');
      assert.equal(profileNone.directoryType, 'none');
      assert.equal(profileNone.registrationStatus, 'not_registered');
      await assert.rejects(server.rpc.call('jamulusserver/setDirectory', { directoryType: 'custom' }), /directory address is required/);
      assert.equal(await server.rpc.call('jamulusserver/setDirectory', { directoryType: 'custom', directoryAddress: `${ADDR.directory}:22124` }), 'ok');
      await waitForStatus(server.rpc, 'registered', 5000);

      // A new name goes to the directory at once, not with the next 15-minute refresh.
      assert.equal(await server.rpc.call('jamulusserver/setServerName', { serverName: 'Garage Two' }), 'ok');
      await waitForList(g, net, 'friend', (l) => !!listed(l, 'Garage Two') && !listed(l, 'Garage'), 3000);

      // Continuously registered for longer than permanentAfterMs: the next refresh says permanent.
      await waitForList(g, net, 'friend', (l) => listed(l, 'Garage Two')?.permanent === true, 6000);

      // Shutdown unregisters too.
      await server.stop();
      const end = await queryList(g, net, 'friend');
      assert.ok(end.full && !listed(end.full, 'Garage Two'), `unregistered on shutdown: ${JSON.stringify(end.full)}`);
    } finally {
      await g.stopAll();
      await net.destroy();
    }
  });
});
