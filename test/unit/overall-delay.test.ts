import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overallDelayMs } from '../../appliance/src/audio/overall-delay.js';

const base = {
  pingMs: 20,
  codecFrameSamples: 128,
  packetFillSamples: 128,
  clientJitterBlocks: 6,
  serverJitterBlocks: 6,
  soundCardPeriodSamples: 128,
};

test('overall delay: ping + fill + 0.7·(client+server blocks)·frame + 3 periods + half a frame', () => {
  // 20 + 2.667 + 0.7·12·2.667 + 3·2.667 + 1.333 = 54.4
  assert.equal(overallDelayMs(base), 54);
});

test('overall delay uses a measured sound-card latency instead of 3 periods', () => {
  // 20 + 2.667 + 22.4 + 10 + 1.333 = 56.4
  assert.equal(overallDelayMs({ ...base, soundCardLatencyMs: 10 }), 56);
});

test('overall delay with 64-sample frames and a conversion buffer', () => {
  // frame 1.333: 20 + 1.333 + 0.7·8·1.333 + (64 + 3·64 samples = 5.333) + 0.667 = 34.8
  assert.equal(
    overallDelayMs({ ...base, codecFrameSamples: 64, packetFillSamples: 64, clientJitterBlocks: 4, serverJitterBlocks: 4, soundCardPeriodSamples: 64, conversionBufferSamples: 64 }),
    35,
  );
});
