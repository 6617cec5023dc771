// The box's own musician joins a server on the Internet over IPv6, from a DS-Lite-style line: the home router
// has no IPv4 upstream, so IPv6 is the only way out. The riffbox client runs in the box's namespace on a jackd
// dummy through ALSA's `jack` PCM (test/interop/client-rig.ts); the server sits on the "Internet" at
// ADDR6.inet; a real Jamulus 3.9.1 client started with -6 in the friend's LAN is the other musician. It joins
// a riffbox server by its IPv6 literal, and Debian's Jamulus 3.9.1 server (-6) by a name with only an AAAA
// record; each time the sine goes both ways (the riffbox client plays 240 Hz and hears the friend's 720 Hz;
// neither hears itself), judged in quiet windows; ping answers, and a restarted server is rejoined.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessGroup } from '../harness/processes.js';
import { playSine, record, startJackd, SINE_LEFT_HZ, SINE_RIGHT_HZ, type Jack } from '../harness/jack.js';
import { readWav } from '../harness/audio-analysis.js';
import { listenUntilJudged } from '../harness/listening.js';
import { startRiffboxClient, writeAsoundrc, waitFor, PLAYBACK_CRITERIA, type RiffboxClient } from '../interop/client-rig.js';
import type { ClientStats } from '../../appliance/src/client/client-options.js';
import { HomeNetwork, ADDR6, sweepStaleNamespaces, networkTestsUnavailable } from './netns.js';
import { startRiffbox, startNsClient, startNsJamulusServer, connectedWithin, nsClientPlace, type NsClient } from './ns-peers.js';
import { createStore, FADE_IN_MS, sleep } from './scenario.js';

const skip = networkTestsUnavailable() ?? undefined;
/** A name the box's resolver knows only as an AAAA record (its /etc/hosts in the namespace). */
const AAAA_ONLY = 'jam6.example';

describe('the local client on an IPv6-only line', { skip, timeout: 600_000 }, () => {
  let net: HomeNetwork;
  let g: ProcessGroup;
  let riffJack: Jack;
  let friendJack: Jack;
  let asoundrc: string;

  before(async () => {
    await sweepStaleNamespaces();
    net = await HomeNetwork.build({ ipv6: true, noIPv4Upstream: true, hosts: { home: `${ADDR6.inet} ${AAAA_ONLY}` } });
    g = new ProcessGroup('net-client-ipv6');
    riffJack = await startJackd(g, { frames: 128 });
    friendJack = await startJackd(g, { frames: 128 });
    asoundrc = writeAsoundrc(g);
  });

  after(async () => {
    await g?.stopAll();
    await net?.destroy();
  });

  /** The friend: a real Jamulus -6 client in its LAN playing 720 Hz, not hearing itself. */
  async function startFriend(server: string, portBase: number, rpcPort: number): Promise<NsClient> {
    const friend = await startNsClient(g, net, { role: 'friend', server, jack: friendJack, name: 'Friend', portBase, rpcPort, extraArgs: ['-6', '--mutemyown'] });
    assert.ok(await connectedWithin(friend, 10000), `the -6 friend connects to ${server}\n${g.describe()}`);
    await playSine(g, friendJack, { right: [friend.inputs.left, friend.inputs.right] });
    return friend;
  }

  /** The box's riffbox client joining `server`, playing 240 Hz into its ALSA capture. */
  async function startBoxClient(server: string): Promise<RiffboxClient> {
    const riff = await startRiffboxClient(g, {
      server,
      jack: riffJack,
      asoundrc,
      frames: 128,
      name: 'Box',
      settings: { 'client.hearOwnSignal': false },
      place: nsClientPlace(g, net, 'home'),
    });
    await playSine(g, riffJack, (await riff.ports()).capture);
    return riff;
  }

  /** The friend hears the box's 240 Hz and the box's playback carries the friend's 720 Hz. */
  async function hearsBothWays(t: TestContext, riff: RiffboxClient, friend: NsClient, label: string): Promise<void> {
    const { playback } = await riff.ports();
    await listenUntilJudged({
      t,
      jacks: [riffJack, friendJack],
      record: async (attempt) => {
        const friendWav = readWav(await record(g, friendJack, [friend.outputs.left], 3, g.path(`${label}-friend-${attempt}.wav`))).channels[0]!;
        const riffWav = readWav(await record(g, riffJack, [playback[0]!], 3, g.path(`${label}-box-${attempt}.wav`))).channels[0]!;
        return [
          { label: `${label}: the friend's output`, samples: friendWav, freq: SINE_LEFT_HZ, criteria: PLAYBACK_CRITERIA },
          { label: `${label}: the box's playback`, samples: riffWav, freq: SINE_RIGHT_HZ, criteria: PLAYBACK_CRITERIA },
        ];
      },
    });
  }

  async function stats(riff: RiffboxClient): Promise<ClientStats> {
    return riff.rpc.call<ClientStats>('riffbox/getStats');
  }

  test('joins a riffbox server at [v6]:port: listed from its IPv6 address, sine both ways, ping, and a restarted server is rejoined', async (t) => {
    const server = `[${ADDR6.inet}]:22124`;
    const { path } = createStore(g, { 'server.mode': 'private', 'server.name': 'On the Internet' });
    let box = await startRiffbox(g, net, { db: path, role: 'inet', args: ['--no-port-mapping'] });
    const friend = await startFriend(server, 30000, 22150);
    const riff = await startBoxClient(server);
    try {
      const s = await stats(riff);
      assert.equal(s.state, 'connected');
      assert.equal(s.serverAddress, server);
      assert.equal(s.sequence, true, 'VERSION_AND_OS came over IPv6');
      const listed = await waitFor('Box in getClients', async () => {
        const r = await box.rpc.call<{ clients: Array<{ name: string; address: string }> }>('jamulusserver/getClients');
        return r.clients.some((c) => c.name === 'Box') ? r.clients : undefined;
      }, 8000);
      assert.ok(listed.some((c) => c.name === 'Box' && c.address.startsWith(`[${ADDR6.box}]:`)), `the box joins from its IPv6 address: ${JSON.stringify(listed)}`);
      const names = await waitFor('the client list on the box', async () => {
        const l = await riff.rpc.call<{ clients: Array<{ name: string }> }>('jamulusclient/getClientList');
        return l.clients.length === 2 ? l.clients.map((c) => c.name).sort() : undefined;
      }, 8000);
      assert.deepEqual(names, ['Box', 'Friend']);
      const ping = await waitFor('a ping answer', async () => (await stats(riff)).pingMs ?? undefined, 5000);
      t.diagnostic(`ping over IPv6: ${ping} ms`);

      await sleep(FADE_IN_MS);
      await hearsBothWays(t, riff, friend, 'riffbox-server');

      const connectedLines = (): number => riff.process.output().stdout.split('\n').filter((l) => l.startsWith('riffbox client connected to ')).length;
      const before = connectedLines();
      await box.stop();
      await riff.process.waitForLine(/^riffbox client: disconnected: /, 10000, 'stderr');
      box = await startRiffbox(g, net, { db: path, role: 'inet', args: ['--no-port-mapping'] });
      await waitFor('a new "connected to" line', async () => (connectedLines() > before ? true : undefined), 20000, () => riff.process.tail());
      const a = await stats(riff);
      await sleep(1000);
      const b = await stats(riff);
      assert.equal(b.state, 'connected');
      assert.ok(b.reconnects > s.reconnects, `reconnects ${s.reconnects} → ${b.reconnects}`);
      assert.ok(b.audioPacketsIn - a.audioPacketsIn > 300, `server audio flows again over IPv6: ${b.audioPacketsIn - a.audioPacketsIn} packets in 1 s`);
    } finally {
      await riff.process.stop();
      await friend.stop();
      await box.stop();
    }
  });

  test("joins Debian's Jamulus 3.9.1 server (-6) by a name with only an AAAA record: sine both ways", async (t) => {
    const jamulus = await startNsJamulusServer(g, net, 'inet', 22126, 22160, ['-6']);
    const friend = await startFriend(`[${ADDR6.inet}]:22126`, 30300, 22151);
    const riff = await startBoxClient(`${AAAA_ONLY}:22126`);
    try {
      const s = await stats(riff);
      assert.equal(s.state, 'connected');
      assert.equal(s.server, `${AAAA_ONLY}:22126`);
      assert.equal(s.serverAddress, `[${ADDR6.inet}]:22126`, 'the name resolved to its AAAA record');
      const listed = await waitFor('Box in getClients', async () => {
        const r = await jamulus.rpc.call<{ clients: Array<{ name: string; address: string }> }>('jamulusserver/getClients');
        return r.clients.some((c) => c.name === 'Box') ? r.clients : undefined;
      }, 8000);
      t.diagnostic(`Jamulus lists ${JSON.stringify(listed)}`);
      assert.ok(listed.some((c) => c.name === 'Box' && c.address.includes(ADDR6.box)), `the box joins from its IPv6 address: ${JSON.stringify(listed)}`);
      await sleep(FADE_IN_MS);
      await hearsBothWays(t, riff, friend, 'jamulus-server');
      assert.ok(((await stats(riff)).pingMs ?? -1) >= 0, 'ping answered');
    } finally {
      await riff.process.stop();
      await friend.stop();
      await jamulus.stop();
    }
  });
});
