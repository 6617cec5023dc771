// The client's housekeeping cadence: fast while something waits on it, at the ping's cadence otherwise, and
// brought forward when a message is queued or the connection changes. Bounds are generous: this checks which
// cadence runs, not how precisely timers fire on a busy machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Housekeeping } from '../../appliance/src/client/housekeeping.js';
import { HOUSEKEEPING_BUSY_MS, HOUSEKEEPING_IDLE_MS } from '../../appliance/src/client/client-facts.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('busy: runs at the busy cadence; idle: at the ping cadence', async () => {
  let busy = true;
  let runs = 0;
  const h = new Housekeeping(() => runs++, () => busy);
  try {
    h.start();
    await sleep(HOUSEKEEPING_BUSY_MS * 10 + 50);
    assert.ok(runs >= 6, `busy: ${runs} runs in ${HOUSEKEEPING_BUSY_MS * 10 + 50} ms`);
    busy = false;
    await sleep(HOUSEKEEPING_BUSY_MS + 20);
    const before = runs;
    await sleep(HOUSEKEEPING_IDLE_MS * 2 + 50);
    const idleRuns = runs - before;
    assert.ok(idleRuns >= 1 && idleRuns <= 3, `idle: ${idleRuns} runs in ${HOUSEKEEPING_IDLE_MS * 2 + 50} ms`);
  } finally {
    h.stop();
  }
});

test('hurry() brings an idle run forward; stop() ends the runs', async () => {
  const at: number[] = [];
  const h = new Housekeeping(() => at.push(performance.now()), () => false);
  try {
    h.start();
    await sleep(HOUSEKEEPING_BUSY_MS + 50);
    assert.equal(at.length, 1, 'the first run comes at the busy cadence');
    const asked = performance.now();
    h.hurry();
    await sleep(HOUSEKEEPING_BUSY_MS * 2 + 50);
    assert.equal(at.length, 2, 'hurried');
    assert.ok(at[1]! - asked < HOUSEKEEPING_IDLE_MS, `ran ${Math.round(at[1]! - asked)} ms after hurry()`);
    h.hurry();
    h.stop();
    await sleep(HOUSEKEEPING_BUSY_MS * 2);
    assert.equal(at.length, 2, 'nothing after stop()');
  } finally {
    h.stop();
  }
});
