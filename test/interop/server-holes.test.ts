// Issue 11: the holes a review found in the internet-facing server, one test each, against the real server
// process on loopback. Each of these failed on the server before the fix (README, "Reliability and security").
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessGroup } from '../harness/processes.js';
import { UdpPeer } from '../harness/udp-peer.js';
import { encodeMessage, isProtocolFrame } from '../../appliance/src/protocol/index.js';
import { UDP_IPV4_OVERHEAD_BYTES, CLM_SOURCE_BUDGET, CLM_GLOBAL_BUDGET, PROBATION_TIMEOUT_SAMPLES } from '../../appliance/src/server/server-facts.js';
import { SyntheticClientPool } from '../bench/synthetic-client.js';
import { startRiffboxServer, type RiffboxServer } from './support/riffbox-server.js';
import { ProbeClient } from './support/probe-client.js';
import { UdpSwarm } from './support/udp-swarm.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PROBATION_S = PROBATION_TIMEOUT_SAMPLES / 48000;
/** Junk the size of a normal-quality OPUS frame: to the server, audio from a new address. */
const AUDIO_LIKE = new Uint8Array(46).fill(0x5a);

/** Channels the server holds, confirmed or not (the counters of both versions of the stats). */
async function channels(server: RiffboxServer): Promise<number> {
  const s = (await server.stats()) as { clients: number; probation?: number };
  return s.clients + (s.probation ?? 0);
}

function wireBytes(data: readonly { data: Buffer }[]): number {
  return data.reduce((n, d) => n + d.data.length + UDP_IPV4_OVERHEAD_BYTES, 0);
}

/** Level lists a probe got: how many entries each had. */
function levelListSizes(p: ProbeClient): number[] {
  return p.clm.flatMap((m) => (m.name === 'CLM_CHANNEL_LEVEL_LIST' ? [m.value.levels.length] : []));
}

describe('riffbox server: holes of issue 11', () => {
  test(`one forged audio datagram holds no channel: freed within ${PROBATION_S} s, sent no more than it brought, never shown to the band`, { timeout: 60_000 }, async (t) => {
    const g = new ProcessGroup('rb-hole-forged');
    let forger: UdpPeer | undefined;
    let probe: ProbeClient | undefined;
    try {
      const server = await startRiffboxServer(g);
      probe = new ProbeClient({ serverPort: server.port, name: 'Band' });
      await probe.start();
      await probe.waitFor(() => probe!.messages.some((m) => m.name === 'CONN_CLIENTS_LIST' && m.value.clients.some((c) => c.name === 'Band')), 8000, 'its own name in the list');
      assert.equal(await channels(server), 1);

      forger = await UdpPeer.open();
      const levelsBefore = levelListSizes(probe).length;
      const sentAt = performance.now();
      await forger.send(AUDIO_LIKE, server.port);
      await sleep(200);
      assert.equal(await channels(server), 2, 'the forged datagram made a channel (as the reference does)');
      let freedAfter = Infinity;
      while (performance.now() - sentAt < (PROBATION_S + 1.5) * 1000) {
        if ((await channels(server)) === 1) {
          freedAfter = (performance.now() - sentAt) / 1000;
          break;
        }
        await sleep(100);
      }
      await sleep(600);
      const got = forger.received;
      const back = wireBytes(got);
      const brought = AUDIO_LIKE.length + UDP_IPV4_OVERHEAD_BYTES;
      t.diagnostic(`channel freed after ${freedAfter.toFixed(2)} s; the forged address got ${got.length} datagrams, ${back} B for the ${brought} B it sent`);
      const levels = levelListSizes(probe).slice(levelsBefore);
      t.diagnostic(`the band's level lists meanwhile had ${[...new Set(levels)].join(', ')} entries`);
      assert.ok(freedAfter <= PROBATION_S + 1, `the forged channel lived ${freedAfter} s`);
      assert.ok(back <= brought, `amplification ${(back / brought).toFixed(2)}`);
      assert.ok(levels.length > 0 && levels.every((n) => n === 1), 'the forged channel never appeared in the level lists');
    } finally {
      probe?.close();
      forger?.close();
      await g.stopAll();
    }
  });

  test('a forger that guesses the ACK of CLIENT_ID and sends a profile and chat is not confirmed, not listed, not heard', { timeout: 60_000 }, async (t) => {
    const g = new ProcessGroup('rb-hole-guess');
    let forger: UdpPeer | undefined;
    let probe: ProbeClient | undefined;
    try {
      const server = await startRiffboxServer(g);
      probe = new ProbeClient({ serverPort: server.port, name: 'Band' });
      await probe.start();
      await probe.waitFor(() => probe!.messages.some((m) => m.name === 'CONN_CLIENTS_LIST' && m.value.clients.some((c) => c.name === 'Band')), 8000, 'its own name in the list');

      forger = await UdpPeer.open();
      // What a blind forger can predict of the reference's sequence: CLIENT_ID goes out with counter 0.
      const script = [
        AUDIO_LIKE,
        encodeMessage('ACKN', { ackedId: 32 }, 0),
        encodeMessage('CHANNEL_INFOS', { country: 0, instrument: 0, skill: 0, name: 'Forger', city: '' }, 0),
        encodeMessage('CHAT_TEXT', { text: 'forged chat' }, 1),
      ];
      let sent = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 3000) {
        for (const d of script) {
          await forger.send(d, server.port);
          sent += d.length + UDP_IPV4_OVERHEAD_BYTES;
        }
        await sleep(50);
      }
      await sleep(500);
      const clients = await server.rpc.call<{ clients: Array<{ name: string }> }>('jamulusserver/getClients');
      const chats = probe.messages.filter((m) => m.name === 'CHAT_TEXT' && m.value.text.includes('forged chat')).length;
      const listed = probe.messages.some((m) => m.name === 'CONN_CLIENTS_LIST' && m.value.clients.some((c) => c.name === 'Forger'));
      const back = wireBytes(forger.received);
      const stats = await server.stats();
      t.diagnostic(`forger sent ${sent} B, got ${back} B back; band saw ${chats} forged chats, forger listed: ${listed}; drops ${JSON.stringify(stats.dropped)}`);
      assert.equal(chats, 0, 'the band got no chat from the forged address');
      assert.equal(listed, false, 'the forger never appeared in the band\'s client list');
      assert.ok(!clients.clients.some((c) => c.name === 'Forger'), JSON.stringify(clients));
      assert.ok(back <= sent, `amplification ${(back / sent).toFixed(2)}`);
    } finally {
      probe?.close();
      forger?.close();
      await g.stopAll();
    }
  });

  test('connection-less replies to one source stop at its budget, and the drops are counted', { timeout: 60_000 }, async (t) => {
    const g = new ProcessGroup('rb-hole-clm1');
    let swarm: UdpSwarm | undefined;
    try {
      const server = await startRiffboxServer(g);
      swarm = UdpSwarm.open(1, server.port);
      const request = encodeMessage('CLM_REQ_CONN_CLIENTS_LIST', {}, 0);
      const t0 = performance.now();
      // 2000 requests in a second, in bursts of 100.
      for (let burst = 0; burst < 20; burst++) {
        for (let k = 0; k < 100; k++) swarm.queue(0, request);
        swarm.flush();
        await sleep(50);
        swarm.drain();
      }
      await sleep(300);
      swarm.drain();
      const seconds = (performance.now() - t0) / 1000;
      const replies = swarm.totalReceivedDatagrams();
      const replyWire = 9 + UDP_IPV4_OVERHEAD_BYTES;
      const allowed = Math.floor((CLM_SOURCE_BUDGET.burst + CLM_SOURCE_BUDGET.perSecond * seconds) / replyWire) + 1;
      const stats = await server.stats();
      t.diagnostic(`2000 CLM_REQ_CONN_CLIENTS_LIST in ${seconds.toFixed(2)} s: ${replies} replies (budget allows ${allowed}); drops ${JSON.stringify(stats.dropped)}`);
      assert.ok(replies <= allowed, `${replies} replies`);
      assert.ok(replies > 50, 'the budget still answers a normal rate');
      assert.ok((stats.dropped['clm-budget-source'] ?? 0) >= 2000 - replies - 10, 'refusals are counted');
    } finally {
      swarm?.close();
      await g.stopAll();
    }
  });

  test('connection-less replies to many sources stop at the global budget', { timeout: 60_000 }, async (t) => {
    const g = new ProcessGroup('rb-hole-clm2');
    let swarm: UdpSwarm | undefined;
    try {
      const server = await startRiffboxServer(g);
      const SOURCES = 200;
      swarm = UdpSwarm.open(SOURCES, server.port, { distinctAddresses: true });
      const request = encodeMessage('CLM_REQ_CONN_CLIENTS_LIST', {}, 0);
      const t0 = performance.now();
      // 10 000 requests in a second from 200 addresses, 50 each: every source stays inside its own budget.
      for (let burst = 0; burst < 20; burst++) {
        for (let i = 0; i < SOURCES; i++) for (let k = 0; k < 2; k++) swarm.queue(i, request);
        for (let i = burst % 2; i < SOURCES; i += 2) swarm.queue(i, request);
        swarm.flush();
        await sleep(50);
        swarm.drain();
      }
      await sleep(300);
      swarm.drain();
      const seconds = (performance.now() - t0) / 1000;
      const sent = swarm.totalSentBytes() / 9;
      const replies = swarm.totalReceivedDatagrams();
      const replyWire = 9 + UDP_IPV4_OVERHEAD_BYTES;
      const allowed = Math.floor((CLM_GLOBAL_BUDGET.burst + CLM_GLOBAL_BUDGET.perSecond * seconds) / replyWire) + SOURCES;
      const stats = await server.stats();
      t.diagnostic(`${sent} requests from ${SOURCES} sources in ${seconds.toFixed(2)} s: ${replies} replies (global budget allows ${allowed}); drops ${JSON.stringify(stats.dropped)}`);
      assert.ok(replies <= allowed, `${replies} replies`);
      assert.ok((stats.dropped['clm-budget-global'] ?? 0) > 0, 'refusals are counted');
    } finally {
      swarm?.close();
      await g.stopAll();
    }
  });

  test('audio to a connected client is never dropped to make room for connection-less replies', { timeout: 60_000 }, async (t) => {
    const g = new ProcessGroup('rb-hole-prio');
    let swarm: UdpSwarm | undefined;
    let pool: SyntheticClientPool | undefined;
    try {
      const server = await startRiffboxServer(g);
      pool = await SyntheticClientPool.open({ serverAddress: '127.0.0.1', serverPort: server.port, frameSamples: 128, clients: 1 });
      assert.equal(await pool.waitUntilStreaming(10_000), 1, pool.describeWaiting());
      const c = pool.clients[0]!;
      await sleep(500);
      let last = -1;
      let packets = 0;
      let missing = 0;
      c.socket.on('message', (msg: Buffer) => {
        if (isProtocolFrame(msg, msg.length) || msg.length !== c.expectedPacketBytes) return;
        const seq = msg[msg.length - 1]!;
        if (last >= 0) missing += (seq - last - 1) & 0xff;
        last = seq;
        packets++;
      });
      const SOURCES = 300;
      swarm = UdpSwarm.open(SOURCES, server.port, { distinctAddresses: true });
      const ping = encodeMessage('CLM_PING_MS', { timeMs: 1 }, 0);
      // Bursts of 3000 pings from 300 addresses (10 each, inside every per-source budget), ten times.
      for (let burst = 0; burst < 10; burst++) {
        for (let k = 0; k < 10; k++) for (let i = 0; i < SOURCES; i++) swarm.queue(i, ping);
        swarm.flush();
        await sleep(200);
        swarm.drain();
      }
      await sleep(300);
      const stats = await server.stats();
      t.diagnostic(`client got ${packets} audio packets during the bursts, ${missing} missing by sequence number; ${swarm.totalReceivedDatagrams()} ping replies; drops ${JSON.stringify(stats.dropped)}`);
      assert.ok(packets > 375, `${packets} packets`);
      assert.equal(missing, 0, 'no audio packet was lost');
      assert.equal(stats.dropped['audio-send-queue-full'] ?? 0, 0);
    } finally {
      swarm?.close();
      await pool?.close();
      await g.stopAll();
    }
  });
});
