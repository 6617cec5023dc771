// The native tick thread: ticks arrive at about the requested rate, late ticks are coalesced
// into one call carrying their count, stop() releases the event loop, and it works in a Worker.
// Bounds are loose sanity checks; timing figures belong to test/bench.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { TickTimer, TICK_PERIOD_NS_64, TICK_PERIOD_NS_128, tickPeriodNs } from '../../appliance/src/audio/tick-timer.js';

const modulePath = new URL('../../appliance/src/audio/tick-timer.js', import.meta.url).href;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

test('periods are exact fractions of a second', () => {
  assert.equal(tickPeriodNs(64), TICK_PERIOD_NS_64);
  assert.equal(tickPeriodNs(128), TICK_PERIOD_NS_128);
  assert.ok(Math.abs(TICK_PERIOD_NS_128 - 2666666.667) < 0.001);
});

test('about 750 ticks arrive in one second at 64-sample frames', async () => {
  let delivered = 0;
  let calls = 0;
  const timer = new TickTimer(TICK_PERIOD_NS_64, (n) => {
    delivered += n;
    calls++;
  });
  assert.equal(timer.running, false);
  timer.start();
  assert.equal(timer.running, true);
  const t0 = process.hrtime.bigint();
  await sleep(1000);
  timer.stop();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  assert.equal(timer.running, false);
  const expected = 750 * seconds;
  assert.ok(delivered > expected * 0.8 && delivered < expected * 1.1, `delivered ${delivered}, expected ≈${expected.toFixed(0)}`);
  assert.ok(calls > 0 && calls <= delivered);
  assert.ok(timer.ticks >= delivered && timer.ticks - delivered < 20, `thread counted ${timer.ticks}, JS got ${delivered}`);
  const after = delivered;
  await sleep(50);
  assert.equal(delivered, after, 'no tick after stop()');
  timer.stop(); // idempotent
});

test('ticks that come due while JS is busy arrive as one call with their count', async () => {
  const batches: number[] = [];
  const timer = new TickTimer(TICK_PERIOD_NS_128, (n) => batches.push(n));
  timer.start();
  try {
    await sleep(30);
    const busyUntil = Date.now() + 120;
    while (Date.now() < busyUntil) {
      // Block the event loop: the thread keeps counting, JS cannot take calls.
    }
    await sleep(30);
  } finally {
    timer.stop();
  }
  const biggest = Math.max(...batches);
  // 120 ms at 375/s is 45 ticks; one coalesced call must carry most of them.
  assert.ok(biggest >= 30 && biggest <= 60, `largest batch ${biggest} (batches: ${batches.join(',')})`);
  // Ticks that came due after the last delivered call are dropped by stop().
  const sum = batches.reduce((a, b) => a + b, 0);
  assert.ok(sum <= timer.ticks && timer.ticks - sum < 20, `delivered ${sum} of ${timer.ticks}`);
});

test('a timer can be restarted after stop()', async () => {
  let delivered = 0;
  const timer = new TickTimer(TICK_PERIOD_NS_128, (n) => (delivered += n));
  timer.start();
  await sleep(50);
  timer.stop();
  const first = delivered;
  assert.ok(first > 0);
  timer.start();
  await sleep(50);
  timer.stop();
  assert.ok(delivered > first);
});

test('bad arguments throw TypeError', () => {
  const Ctor = TickTimer as unknown as new (...a: unknown[]) => unknown;
  assert.throws(() => new Ctor('1000000', () => {}), { name: 'TypeError', message: 'TickTimer: periodNs must be a number' });
  assert.throws(() => new Ctor(10, () => {}), { name: 'TypeError', message: 'TickTimer: periodNs must be between 50000 and 1e10' });
  assert.throws(() => new Ctor(Number.NaN, () => {}), { name: 'TypeError' });
  assert.throws(() => new Ctor(TICK_PERIOD_NS_64, 'x'), { name: 'TypeError', message: 'TickTimer: callback must be a function' });
});

/** Runs an ESM snippet in a child node; resolves with exit code and stdout, kills it after timeoutMs. */
function runChild(script: string, timeoutMs: number): Promise<{ code: number | null; stdout: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, timedOut });
    });
  });
}

test('a running timer keeps the process alive and stop() lets it exit', async () => {
  const stops = await runChild(
    `const { TickTimer } = await import(${JSON.stringify(modulePath)});
     let n = 0;
     const t = new TickTimer(1e9 / 750, (d) => { n += d; if (n >= 50) { t.stop(); console.log('stopped'); } });
     t.start();`,
    10000,
  );
  assert.equal(stops.timedOut, false, 'process did not exit after stop()');
  assert.equal(stops.code, 0);
  assert.match(stops.stdout, /^stopped$/m);

  const keepsRunning = await runChild(
    `const { TickTimer } = await import(${JSON.stringify(modulePath)});
     new TickTimer(1e9 / 375, () => {}).start();
     console.log('started');`,
    700,
  );
  assert.equal(keepsRunning.timedOut, true, 'a running timer must hold the event loop open');
  assert.match(keepsRunning.stdout, /^started$/m);
});

const workerSource = (mod: string, stopIt: boolean): string => `
  const { parentPort } = require('node:worker_threads');
  import(${JSON.stringify(mod)}).then(({ TickTimer }) => {
    let n = 0;
    const t = new TickTimer(1e9 / 750, (d) => {
      n += d;
      if (n >= 100) {
        ${stopIt ? 't.stop();' : ''}
        parentPort.postMessage(n);
      }
    });
    t.start();
  });`;

test('works inside a worker thread, which exits after stop()', async () => {
  const worker = new Worker(workerSource(modulePath, true), { eval: true });
  // Listen for exit first: a worker that ends right after posting emits both back to back.
  const exited = new Promise<number>((r) => worker.once('exit', r));
  const count = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  assert.ok(count >= 100);
  const code = await Promise.race([exited, sleep(5000).then(() => 'timeout' as const)]);
  if (code === 'timeout') await worker.terminate();
  assert.equal(code, 0, 'worker exits on its own once the timer is stopped');
});

test('terminating a worker with a running timer joins the thread cleanly', async () => {
  for (let i = 0; i < 3; i++) {
    const worker = new Worker(workerSource(modulePath, false), { eval: true });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    const code = await worker.terminate();
    assert.equal(code, 1);
  }
});
