import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ProcessGroup } from '../harness/processes.js';

import { readFileSync } from 'node:fs';

/** Running and not a zombie (an orphan killed here may wait a moment for init to reap it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

test('waitForLine sees output written to the log files, and stopAll ends the process group', async () => {
  const g = new ProcessGroup('t-proc');
  try {
    // The shell starts a grandchild (sleep) that must die with it: the whole group is killed.
    const p = g.spawn('sh', 'sh', ['-c', 'echo ready-$$; sleep 300 & echo child=$!; echo err >&2; wait']);
    const m = await p.waitForLine(/^ready-(\d+)$/, 5000);
    assert.equal(Number(m[1]), p.pid);
    const child = Number((await p.waitForLine(/^child=(\d+)$/, 5000))[1]);
    assert.ok(alive(child));
    assert.match(p.tail(), /\[stderr\]\nerr/);
    await g.stopAll();
    assert.equal(p.running, false);
    // The group's SIGTERM is delivered, but the grandchild's exit is the kernel's to schedule: allow it 2 s.
    for (let i = 0; i < 40 && alive(child); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(child), false, 'grandchild in the process group must be killed');
    assert.equal(existsSync(g.dir), false);
  } finally {
    await g.stopAll();
  }
});

test('a process that ignores SIGTERM is killed after the grace period', async () => {
  const g = new ProcessGroup('t-proc');
  try {
    const p = g.spawn('stubborn', 'sh', ['-c', "trap '' TERM; echo up; while :; do sleep 0.1; done"], { stopTimeoutMs: 300 });
    await p.waitForLine(/^up$/, 5000);
    const t0 = Date.now();
    const status = await p.stop();
    assert.equal(status.signal, 'SIGKILL');
    assert.ok(Date.now() - t0 >= 250);
  } finally {
    await g.stopAll();
  }
});

test('waitForLine rejects with the output tail when the process exits first', async () => {
  const g = new ProcessGroup('t-proc');
  try {
    const p = g.spawn('quick', 'sh', ['-c', 'echo something-else; exit 3']);
    await assert.rejects(p.waitForLine(/never/, 5000), /exited before printing[\s\S]*something-else/);
    assert.deepEqual(await p.exited, { code: 3, signal: null });
  } finally {
    await g.stopAll();
  }
});

test('run() returns output and rejects on failure or timeout', async () => {
  const g = new ProcessGroup('t-proc');
  try {
    const r = await g.run('echo', 'sh', ['-c', 'echo hi; echo there >&2']);
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.stderr, 'there\n');
    await assert.rejects(g.run('false', 'false'), /failed \(code=1/);
    await assert.rejects(g.run('slow', 'sleep', ['30'], { timeoutMs: 200 }), /did not finish within 200 ms/);
    assert.throws(() => g.spawn('missing', '/nonexistent/binary'), /cannot start/);
  } finally {
    await g.stopAll();
  }
});

test('onCleanup runs after the processes are gone', async () => {
  const g = new ProcessGroup('t-proc');
  const p = g.spawn('sleep', 'sleep', ['30']);
  let sawRunning: boolean | null = null;
  g.onCleanup(() => {
    sawRunning = p.running;
  });
  await g.stopAll();
  assert.equal(sawRunning, false);
});
