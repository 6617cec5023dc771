// The benchmark's synthetic clients: their frames are real Opus that decodes to the sine they claim,
// and Debian's real Jamulus 3.9.1 server accepts them (streams back, at the frame rate, in their format
// with sequence numbers). Figures of speed live in test/bench/server-bench.ts, not here.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { buildPacketLoop, intervalStats, versionAtLeast, LOOP_FRAMES, SyntheticClientPool } from '../bench/synthetic-client.js';
import { OpusCustomDecoder } from '../../appliance/src/audio/opus-codec.js';
import { ProcessGroup } from '../harness/processes.js';
import { freeUdpPort, waitForUdpBound } from '../harness/ports.js';

const JAMULUS = '/usr/bin/Jamulus';

test('versionAtLeast reads leading numeric components like Qt', () => {
  assert.equal(versionAtLeast('3.9.1', [3, 6, 0]), true);
  assert.equal(versionAtLeast('3.6.0', [3, 6, 0]), true);
  assert.equal(versionAtLeast('3.5.12', [3, 6, 0]), false);
  assert.equal(versionAtLeast('4.0.0beta2', [3, 6, 0]), true);
  assert.equal(versionAtLeast('3.10', [3, 6, 0]), true);
  assert.equal(versionAtLeast('3', [3, 6, 0]), false);
  assert.equal(versionAtLeast('dev', [3, 6, 0]), false);
});

for (const frames of [64, 128] as const) {
  test(`the ${frames}-sample packet loop is real Opus of a ≈440 Hz sine, numbered 0..255`, () => {
    const loop = buildPacketLoop(frames);
    const coded = frames === 64 ? 22 : 45;
    assert.equal(loop.packets.length, LOOP_FRAMES);
    assert.equal(loop.packetsSeq.length, LOOP_FRAMES);
    for (let k = 0; k < LOOP_FRAMES; k++) {
      assert.equal(loop.packets[k]!.length, coded);
      assert.equal(loop.packetsSeq[k]!.length, coded + 1);
      assert.equal(loop.packetsSeq[k]![coded], k);
      assert.deepEqual(loop.packetsSeq[k]!.subarray(0, coded), loop.packets[k]);
    }
    const dec = new OpusCustomDecoder(frames, 1);
    const pcm = new Int16Array(frames);
    let crossings = 0;
    let energy = 0;
    let prev = 0;
    let samples = 0;
    // Skip the first frames: the decoder starts from silence.
    for (let k = 0; k < LOOP_FRAMES; k++) {
      assert.equal(dec.decode(loop.packets[k]!, 0, coded, pcm), frames);
      if (k < 16) continue;
      for (let i = 0; i < frames; i++) {
        const v = pcm[i]!;
        if ((prev < 0 && v >= 0) || (prev >= 0 && v < 0)) crossings++;
        prev = v;
        energy += v * v;
        samples++;
      }
    }
    const hz = crossings / 2 / (samples / 48000);
    const rms = Math.sqrt(energy / samples);
    assert.ok(Math.abs(hz - 440) < 15, `decoded frequency ${hz.toFixed(1)} Hz`);
    assert.ok(rms > 3000 && rms < 8000, `decoded RMS ${rms.toFixed(0)} (sine of amplitude 8000 has 5657)`);
  });
}

test('intervalStats pools, sorts and counts late intervals', () => {
  const s = intervalStats([Float64Array.from([2.6, 2.7, 9]), Float64Array.from([2.65, 4.5])], 4);
  assert.equal(s.count, 5);
  assert.equal(s.p50, 2.7);
  assert.equal(s.max, 9);
  assert.equal(s.late, 2);
  assert.ok(Number.isNaN(intervalStats([], 1).p50));
});

test('Debian Jamulus 3.9.1 accepts two synthetic clients and streams to each at the frame rate', { skip: !existsSync(JAMULUS) && 'no /usr/bin/Jamulus' }, async () => {
  const group = new ProcessGroup('synthetic-client');
  let pool: SyntheticClientPool | null = null;
  after(async () => {
    await pool?.close();
    await group.stopAll();
  });
  const port = await freeUdpPort();
  const server = group.spawn('jamulus-server', JAMULUS, ['-s', '-n', '-p', String(port)]);
  await waitForUdpBound(port, 10000, () => server.running);
  pool = await SyntheticClientPool.open({ serverAddress: '127.0.0.1', serverPort: port, frameSamples: 128, clients: 2 });
  assert.equal(await pool.waitUntilStreaming(10000), 2, pool.describeWaiting());
  const ids = pool.clients.map((c) => c.channelId).sort();
  assert.deepEqual(ids, [0, 1]);
  for (const c of pool.clients) {
    assert.equal(c.serverVersion, '3.9.1');
    assert.equal(c.sequenceEnabled, true);
    assert.equal(c.expectedPacketBytes, 46);
  }
  pool.startMeasuring();
  await new Promise((r) => setTimeout(r, 1500));
  pool.stopMeasuring();
  for (const c of pool.clients) {
    const a = c.arrivals();
    // 375 packets/s; generous bounds because the machine is shared.
    assert.ok(a.packets > 375 * 1.5 * 0.8 && a.packets < 375 * 1.5 * 1.2, `${c.name}: ${a.packets} packets in 1.5 s`);
    const s = intervalStats([a.intervals], 4);
    assert.ok(Math.abs(s.p50 - 8 / 3) < 0.5, `${c.name}: median interval ${s.p50.toFixed(3)} ms`);
  }
  assert.ok(server.running, server.tail());
});
