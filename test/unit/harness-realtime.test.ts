import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { ProcessGroup } from '../harness/processes.js';
import { realtimeAllowed, keepThreadsRealtime } from '../harness/realtime.js';

function policies(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38]);
  });
}

test('keepThreadsRealtime moves threads started later to SCHED_FIFO', { skip: !realtimeAllowed() && 'SCHED_FIFO not permitted here' }, async () => {
  const g = new ProcessGroup('t-rt');
  try {
    // node starts its worker-pool threads as SCHED_OTHER: a process with several threads.
    const p = g.spawn('node', process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(policies(p.pid).every((x) => x === 0), 'starts as SCHED_OTHER');
    keepThreadsRealtime(p, 10, 50);
    const deadline = Date.now() + 5000;
    while (!policies(p.pid).every((x) => x === 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual([...new Set(policies(p.pid))], [1], 'all threads SCHED_FIFO');
    assert.ok(policies(p.pid).length > 1);
  } finally {
    await g.stopAll();
  }
});
