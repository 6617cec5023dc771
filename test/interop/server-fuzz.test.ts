// Issue 2 acceptance: 100k mutated datagrams at the server while a real Jamulus client plays. The server must
// keep streaming to that client, count what it drops, and keep its memory bounded.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { ProcessGroup } from '../harness/processes.js';
import { startJackd, playSine, record, SINE_LEFT_HZ } from '../harness/jack.js';
import { startJamulusClient } from '../harness/jamulus.js';
import { readWav } from '../harness/audio-analysis.js';
import { listenUntilJudged, quietWindowsTimeout } from '../harness/listening.js';
import { buildFrame, parseFrame } from '../../appliance/src/protocol/index.js';
import { loadFixtures, fixtureBytes } from '../fixtures/protocol/load.js';
import { startRiffboxServer } from './support/riffbox-server.js';

const DATAGRAMS = 100_000;
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

// A fuzz round outlasts its 10 s recording when the host is slow to send 100k datagrams.
const FUZZ_ROUNDS = 3;
const FUZZ_TIMEOUT = quietWindowsTimeout({ otherMs: 60_000, windowMs: 20_000, maxWindows: FUZZ_ROUNDS });

describe('riffbox server under hostile input', () => {
  test(`${DATAGRAMS / 1000}k mutated datagrams while a real client plays: audio keeps flowing, drops are counted, memory stays bounded`, { timeout: FUZZ_TIMEOUT }, async (t) => {
    const g = new ProcessGroup('rb-fuzz');
    const sockets: dgram.Socket[] = [];
    try {
      const server = await startRiffboxServer(g);
      const jack = await startJackd(g, { frames: 128 });
      const a = await startJamulusClient(g, { server: server.address, jack, frames: 128, name: 'Alice' });
      await playSine(g, jack, [a.inputs.left, a.inputs.right]);
      await sleep(3500);
      const before = await server.stats();
      const droppedBefore = Object.values(before.dropped).reduce((x, y) => x + y, 0);
      const rssBefore = rssKb(server.process.pid);

      const seeds = loadFixtures('captured-3.9.1.json').map(fixtureBytes);
      const rnd = prng(0x5eed);
      for (let i = 0; i < SOURCES; i++) {
        const s = dgram.createSocket('udp4');
        await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
        sockets.push(s);
      }
      // Recording runs across the whole fuzz round: what Alice hears of herself must not break up. A round
      // whose recording the host disturbed (listening.ts) is followed by another full round.
      let sent = 0;
      let fuzzSeconds = 0;
      const verdict = await listenUntilJudged({
        t,
        jacks: [jack],
        maxWindows: FUZZ_ROUNDS,
        record: async (attempt) => {
          const recording = record(g, jack, [a.outputs.left], 10, g.path(`alice-during-fuzz-${attempt}.wav`));
          const t0 = Date.now();
          // ≈ 12 000 datagrams/s in bursts, far above any real client's 375–750/s.
          for (let round = 0; round < DATAGRAMS; ) {
            for (let k = 0; k < 120 && round < DATAGRAMS; k++, round++, sent++) {
              sockets[sent % SOURCES]!.send(mutate(seeds, rnd), server.port, '127.0.0.1');
            }
            await sleep(10);
          }
          fuzzSeconds += (Date.now() - t0) / 1000;
          const ch = readWav(await recording).channels[0]!;
          return [{ label: 'Alice during the fuzz', samples: ch, freq: SINE_LEFT_HZ, criteria: { minToneRatioDb: null, maxGlitchWindowsPer10s: null } }];
        },
      });
      await sleep(500);

      const after = await server.stats();
      const droppedAfter = Object.values(after.dropped).reduce((x, y) => x + y, 0);
      const rssAfter = rssKb(server.process.pid);
      t.diagnostic(`sent ${sent} datagrams in ${fuzzSeconds.toFixed(1)} s; drops ${droppedBefore} → ${droppedAfter} ${JSON.stringify(after.dropped)}`);
      t.diagnostic(`server RSS ${(rssBefore / 1024).toFixed(1)} → ${(rssAfter / 1024).toFixed(1)} MiB; packets out ${before.audioPacketsOut} → ${after.audioPacketsOut}`);

      assert.ok(server.process.running, 'the server is still running');
      assert.ok(droppedAfter - droppedBefore > DATAGRAMS / 10, `drop counters rose by ${droppedAfter - droppedBefore}`);
      // Alice is still connected and was streamed to all along (375 packets/s at least to her).
      const clients = await server.rpc.call<{ clients: Array<{ name: string }> }>('jamulusserver/getClients');
      assert.ok(clients.clients.some((c) => c.name === 'Alice'), JSON.stringify(clients));
      assert.ok(after.audioPacketsOut - before.audioPacketsOut > 375 * fuzzSeconds * 0.9, 'server kept sending audio');
      const info = await a.rpc!.client.call<{ connected: boolean }>('jamulusclient/getClientInfo');
      assert.equal(info.connected, true);
      t.diagnostic(`Alice's own sound during the fuzz: ${verdict}`);
      // Bounded: hostile channels are capped by max clients and freed by time-out; no per-datagram growth.
      assert.ok(rssAfter - rssBefore < 64 * 1024, `RSS grew by ${((rssAfter - rssBefore) / 1024).toFixed(1)} MiB`);
    } finally {
      for (const s of sockets) s.close();
      await g.stopAll();
    }
  });
});
