// SCHED_FIFO for reference peers. The machines running these tests have two cores shared with
// compilers and other engineers' tests; without real-time priority the reference programs'
// own scheduling delays show up as dropouts that the system under test did not cause.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { ManagedProcess, execQuick } from './processes.js';

let rtAllowed: boolean | null = null;

/** Whether this process may create SCHED_FIFO threads (root, or an rtprio limit). */
export function realtimeAllowed(): boolean {
  if (rtAllowed === null) {
    try {
      execFileSync('chrt', ['-f', '1', 'true'], { stdio: 'ignore', timeout: 5000 });
      rtAllowed = true;
    } catch {
      rtAllowed = false;
    }
  }
  return rtAllowed;
}

const SCHED_OTHER = 0;

/** Thread ids of `pid` whose policy is SCHED_OTHER (field 41 of /proc/PID/task/TID/stat). */
function nonRealtimeThreads(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // The command name (field 2) may contain spaces; fields are counted after its ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[41 - 3]) === SCHED_OTHER) out.push(Number(tid));
    } catch {
      // thread ended meanwhile
    }
  }
  return out;
}

/**
 * Keeps every thread of `proc` on SCHED_FIFO `priority` for as long as it runs: Qt starts its
 * worker threads (Jamulus's socket thread, the server's tick timer — the latter only when the
 * first client arrives) with an explicit SCHED_OTHER policy, so `chrt` on the command line alone
 * reaches only the main thread and libjack's threads. Polls every `intervalMs`; stops by itself.
 */
export function keepThreadsRealtime(proc: ManagedProcess, priority: number, intervalMs = 250): void {
  let busy = false;
  const tick = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      for (const tid of nonRealtimeThreads(proc.pid)) {
        await execQuick('chrt', ['-f', '-p', String(priority), String(tid)]).catch(() => undefined);
      }
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  void proc.exited.then(() => clearInterval(timer));
  void tick();
}
