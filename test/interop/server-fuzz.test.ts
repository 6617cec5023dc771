// Issues 2 and 11: a million mutated datagrams at the server while two real Jamulus clients play. The server
// must not crash, must keep streaming to the band (its audio judged in quiet windows), count what it drops,
// and keep its memory bounded.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ProcessGroup } from '../harness/processes.js';
import { startJackd, playSine, record, SINE_LEFT_HZ } from '../harness/jack.js';
import { startJamulusClient } from '../harness/jamulus.js';
import { readWav } from '../harness/audio-analysis.js';
import { listenUntilJudged, quietWindowsTimeout } from '../harness/listening.js';
import { buildFrame, parseFrame } from '../../appliance/src/protocol/index.js';
import { loadFixtures, fixtureBytes } from '../fixtures/protocol/load.js';
import { startRiffboxServer } from './support/riffbox-server.js';
import { UdpSwarm } from './support/udp-swarm.js';

const DATAGRAMS = 1_000_000;
const SOURCES = 4;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rssKb(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return m ? Number(m[1]) : NaN;
}

/** Deterministic PRNG so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One hostile datagram: a captured frame with flipped bytes (CRC left wrong, so it counts as audio), the same
 * re-framed with a valid CRC (so it reaches the message decoders), a truncated or extended frame, or junk of
 * an audio packet's size.
 */
function mutate(seeds: readonly Uint8Array[], rnd: () => number): Uint8Array {
  const base = seeds[Math.floor(rnd() * seeds.length)]!;
  const kind = Math.floor(rnd() * 5);
  const b = Uint8Array.from(base);
  const flips = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < flips; i++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
  switch (kind) {
    case 0:
      return b;
    case 1: {
      // Valid framing around a mutated payload: exercises every payload decoder and the split logic.
      const f = parseFrame(base);
      if (!f.ok) return b;
      const payload = Uint8Array.from(f.payload);
      for (let i = 0; i < flips && payload.length > 0; i++) payload[Math.floor(rnd() * payload.length)] = Math.floor(rnd() * 256);
      const ids = [f.id, f.id, 2001, 20, 25, 13, 18, 10, 1001, 1010, 1017, Math.floor(rnd() * 65536)];
      return buildFrame(ids[Math.floor(rnd() * ids.length)]!, Math.floor(rnd() * 256), payload);
    }
    case 2:
      return b.subarray(0, Math.floor(rnd() * b.length));
    case 3: {
      const longer = new Uint8Array(b.length + 1 + Math.floor(rnd() * 600));
      longer.set(b);
      for (let i = b.length; i < longer.length; i++) longer[i] = Math.floor(rnd() * 256);
      return longer;
    }
    default: {
      const sizes = [23, 45, 46, 72, 166, 1, 9, 1500];
      const junk = new Uint8Array(sizes[Math.floor(rnd() * sizes.length)]!);
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(rnd() * 256);
      return junk;
    }
  }
}

/** How fast the fuzz is sent: far above any real client's 375–750 datagrams/s. */
const DATAGRAMS_PER_S = 40_000;
/** Listening windows (10 s each) run while the fuzz goes on; the fuzz goes on until one is judged. */
const RECORD_SECONDS = 10;
const FUZZ_TIMEOUT = quietWindowsTimeout({ otherMs: 90_000 + (DATAGRAMS / DATAGRAMS_PER_S) * 1000, windowMs: RECORD_SECONDS * 1000 + 700 });

describe('riffbox server under hostile input', () => {
  test(`${DATAGRAMS / 1000}k mutated datagrams while two real clients play: audio keeps flowing, drops are counted, memory stays bounded`, { timeout: FUZZ_TIMEOUT }, async (t) => {
    const g = new ProcessGroup('rb-fuzz');
    let swarm: UdpSwarm | undefined;
    try {
      const server = await startRiffboxServer(g);
      const jackA = await startJackd(g, { frames: 128 });
      const jackB = await startJackd(g, { frames: 128 });
      const a = await startJamulusClient(g, { server: server.address, jack: jackA, frames: 128, name: 'Alice' });
      const b = await startJamulusClient(g, { server: server.address, jack: jackB, frames: 128, name: 'Bob' });
      await playSine(g, jackA, [a.inputs.left, a.inputs.right]);
      await sleep(3500);
      const before = await server.stats();
      const droppedBefore = Object.values(before.dropped).reduce((x, y) => x + y, 0);
      const rssBefore = rssKb(server.process.pid);

      const seeds = loadFixtures('captured-3.9.1.json').map(fixtureBytes);
      const rnd = prng(0x5eed);
      swarm = UdpSwarm.open(SOURCES, server.port);
      const fuzzer = swarm;
      // The fuzz runs on its own, paced in 5 ms batches, until DATAGRAMS are sent and the band has been judged.
      let sent = 0;
      let judged = false;
      let peakRss = rssBefore;
      let rssAt = 0;
      const t0 = performance.now();
      const fuzzing = (async () => {
        while (sent < DATAGRAMS || !judged) {
          const due = Math.min(Math.floor(((performance.now() - t0) * DATAGRAMS_PER_S) / 1000), sent + DATAGRAMS_PER_S / 20);
          for (; sent < due; sent++) fuzzer.queue(sent % SOURCES, mutate(seeds, rnd));
          fuzzer.flush();
          fuzzer.drain();
          if (performance.now() - rssAt > 250) {
            rssAt = performance.now();
            peakRss = Math.max(peakRss, rssKb(server.process.pid));
          }
          await sleep(5);
          if (!server.process.running) throw new Error(`the server died after ${sent} datagrams\n${server.process.tail()}`);
        }
      })();
      let verdict: string;
      try {
        verdict = await listenUntilJudged({
          t,
          jacks: [jackA, jackB],
          record: async (attempt) => {
            // Two JACK clients registering at once on two servers collide in JACK's registry: start apart.
            const recB = record(g, jackB, [b.outputs.left], RECORD_SECONDS, g.path(`bob-${attempt}.wav`));
            await sleep(700);
            const recA = record(g, jackA, [a.outputs.left], RECORD_SECONDS, g.path(`alice-${attempt}.wav`));
            const [pathB, pathA] = await Promise.all([recB, recA]);
            return [
              { label: `Bob hears Alice during the fuzz (${sent} sent)`, samples: readWav(pathB).channels[0]!, freq: SINE_LEFT_HZ },
              { label: `Alice hears herself during the fuzz (${sent} sent)`, samples: readWav(pathA).channels[0]!, freq: SINE_LEFT_HZ },
            ];
          },
        });
      } finally {
        judged = true;
      }
      await fuzzing;
      const fuzzSeconds = (performance.now() - t0) / 1000;
      await sleep(500);

      const after = await server.stats();
      const droppedAfter = Object.values(after.dropped).reduce((x, y) => x + y, 0);
      const rssAfter = rssKb(server.process.pid);
      t.diagnostic(`sent ${sent} mutated datagrams in ${fuzzSeconds.toFixed(1)} s (${Math.round(sent / fuzzSeconds)}/s) from ${SOURCES} sources; ${swarm.totalReceivedDatagrams()} datagrams came back to them (${swarm.totalReceivedBytes()} B for ${swarm.totalSentBytes()} B sent)`);
      t.diagnostic(`drops ${droppedBefore} → ${droppedAfter}: ${JSON.stringify(after.dropped)}; internal errors ${after.dropped['internal-error'] ?? 0}`);
      t.diagnostic(`server RSS ${(rssBefore / 1024).toFixed(1)} → ${(rssAfter / 1024).toFixed(1)} MiB (growth ${((rssAfter - rssBefore) / 1024).toFixed(1)} MiB, peak ${(peakRss / 1024).toFixed(1)} MiB); audio packets out ${before.audioPacketsOut} → ${after.audioPacketsOut}`);
      t.diagnostic(`the band's audio during the fuzz: ${verdict}`);

      assert.ok(server.process.running, 'the server is still running (0 crashes)');
      assert.ok(sent >= DATAGRAMS);
      assert.ok(droppedAfter - droppedBefore > DATAGRAMS / 10, `drop counters rose by ${droppedAfter - droppedBefore}`);
      assert.equal(after.dropped['internal-error'] ?? 0, 0, after.lastDropError ?? '');
      // Alice and Bob are still connected and were streamed to all along (375 packets/s each at least).
      const clients = await server.rpc.call<{ clients: Array<{ name: string }> }>('jamulusserver/getClients');
      for (const name of ['Alice', 'Bob']) assert.ok(clients.clients.some((c) => c.name === name), JSON.stringify(clients));
      assert.ok(after.audioPacketsOut - before.audioPacketsOut > 2 * 375 * fuzzSeconds * 0.9, 'server kept sending audio');
      for (const c of [a, b]) assert.equal((await c.rpc!.client.call<{ connected: boolean }>('jamulusclient/getClientInfo')).connected, true);
      // Bounded: hostile channels are capped by max clients and end on probation; nothing grows per datagram.
      assert.ok(rssAfter - rssBefore < 64 * 1024, `RSS grew by ${((rssAfter - rssBefore) / 1024).toFixed(1)} MiB`);
    } finally {
      swarm?.close();
      await g.stopAll();
    }
  });
});
