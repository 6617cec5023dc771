// monotonicNowNs(): CLOCK_MONOTONIC from a process-wide origin, on the same scale as
// process.hrtime.bigint() once the origin is added back, and shared by every worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { monotonicNowNs, monotonicOriginNs } from '../../appliance/src/net/udp-socket.js';

const modulePath = new URL('../../appliance/src/net/udp-socket.js', import.meta.url).href;

test('is a non-decreasing integer number of ns since the origin', () => {
  let prev = monotonicNowNs();
  assert.ok(Number.isSafeInteger(prev) && prev >= 0, String(prev));
  for (let i = 0; i < 10000; i++) {
    const now = monotonicNowNs();
    assert.ok(now >= prev, `${now} < ${prev}`);
    prev = now;
  }
});

test('matches process.hrtime.bigint() minus the origin', () => {
  const origin = monotonicOriginNs();
  assert.equal(typeof origin, 'bigint');
  assert.equal(monotonicOriginNs(), origin, 'the origin never moves');
  const before = process.hrtime.bigint() - origin;
  const ours = BigInt(monotonicNowNs());
  const after = process.hrtime.bigint() - origin;
  assert.ok(ours >= before && ours <= after, `${before} <= ${ours} <= ${after}`);
});

test('advances with real time', async () => {
  const t0 = monotonicNowNs();
  const h0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, 50));
  const ours = monotonicNowNs() - t0;
  const theirs = Number(process.hrtime.bigint() - h0);
  assert.ok(ours >= 49e6, `advanced ${ours} ns over a 50 ms timer`);
  assert.ok(Math.abs(ours - theirs) < 1e6, `${ours} vs hrtime ${theirs}`);
});

test('a worker shares the origin, so deadlines mean the same instant in every thread', async () => {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     import(${JSON.stringify(modulePath)}).then(({ monotonicOriginNs, monotonicNowNs }) => {
       parentPort.postMessage({ origin: monotonicOriginNs(), now: monotonicNowNs() });
     });`,
    { eval: true },
  );
  try {
    const before = monotonicNowNs();
    const got = await new Promise<{ origin: bigint; now: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const after = monotonicNowNs();
    assert.equal(got.origin, monotonicOriginNs());
    assert.ok(got.now >= before && got.now <= after, `${before} <= ${got.now} <= ${after}`);
  } finally {
    await worker.terminate();
  }
});
