// What Linux knows about a process from the outside: CPU time of all its threads, resident memory,
// and the machine's load. Read from /proc, so the same figures come out for Node and for Jamulus.
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clockTicks: number | null = null;

/** USER_HZ, the unit of utime/stime in /proc/PID/stat (100 on every Linux we run on, but asked anyway). */
export function clockTicksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * User + system CPU seconds the process has used so far, all threads (including exited ones) but not
 * its children. Resolution is one clock tick (10 ms).
 */
export function cpuSeconds(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces; fields count from after it.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return (utime + stime) / clockTicksPerSecond();
}

function statusField(pid: number, field: string): number {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = text.match(new RegExp(`^${field}:\\s+(\\d+)`, 'm'));
  return m ? Number(m[1]) : NaN;
}

/** Resident set size now, in MiB. */
export function rssMiB(pid: number): number {
  return statusField(pid, 'VmRSS') / 1024;
}

/** Peak resident set size, in MiB. */
export function peakRssMiB(pid: number): number {
  return statusField(pid, 'VmHWM') / 1024;
}

export function threadCount(pid: number): number {
  return statusField(pid, 'Threads');
}

export interface ThreadCpu {
  tid: number;
  name: string;
  cpuS: number;
  /** Times the thread went to sleep of its own accord (voluntary_ctxt_switches): its wake-ups. */
  sleeps: number;
}

function taskFile(pid: number, tid: string, file: string): string | null {
  try {
    return readFileSync(`/proc/${pid}/task/${tid}/${file}`, 'utf8');
  } catch {
    return null; // the thread ended meanwhile
  }
}

/**
 * CPU seconds so far of every live thread, with its name (comm: "node", "Jamulus", "libuv-worker", …) and
 * its sleeps. CPU comes from schedstat's run time in nanoseconds: `stat` counts in 10-ms ticks, so a thread
 * at 0.4 % of a core has 4 of them in a 10-s window, give or take one. (Kernels without scheduler info print
 * zeros there, and the ticks are used.)
 */
export function threadCpuSeconds(pid: number): ThreadCpu[] {
  const out: ThreadCpu[] = [];
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const text = taskFile(pid, tid, 'stat');
    if (text === null) continue;
    const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const runNs = Number(taskFile(pid, tid, 'schedstat')?.split(' ')[0] ?? 0);
    const cpuS = runNs > 0 ? runNs / 1e9 : (Number(rest[11]) + Number(rest[12])) / clockTicksPerSecond();
    const sleeps = Number(taskFile(pid, tid, 'status')?.match(/^voluntary_ctxt_switches:\s+(\d+)/m)?.[1] ?? NaN);
    out.push({ tid: Number(tid), name, cpuS, sleeps });
  }
  return out;
}

export interface ThreadWindow {
  tid: number;
  name: string;
  /** CPU per wall second (1.0 = one core busy). */
  ratio: number;
  /** Wake-ups per wall second. */
  wakesPerS: number;
}

/** Starts a per-thread CPU window; the result, called at the end, lists threads by CPU per wall second, busiest first. */
export function startThreadCpuWindow(pid: number): () => ThreadWindow[] {
  const w0 = performance.now();
  const before = new Map(threadCpuSeconds(pid).map((t) => [t.tid, t]));
  return () => {
    const wallS = (performance.now() - w0) / 1000;
    return threadCpuSeconds(pid)
      .map((t) => {
        const b = before.get(t.tid);
        return { tid: t.tid, name: t.name, ratio: (t.cpuS - (b?.cpuS ?? 0)) / wallS, wakesPerS: (t.sleeps - (b?.sleeps ?? 0)) / wallS };
      })
      .sort((a, b) => b.ratio - a.ratio);
  };
}

const POLICY_NAMES: Record<number, string> = { 0: 'OTHER', 1: 'FIFO', 2: 'RR', 3: 'BATCH', 5: 'IDLE', 6: 'DEADLINE' };

/**
 * Scheduling policy of every thread, as "FIFO:1 OTHER:12" (FIFO/RR with their priorities): whether a
 * server's timer thread really got real-time priority, seen from outside.
 */
export function threadPolicies(pid: number): string {
  const counts = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 'n/a';
  }
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // After the command name: field 40 (rt_priority) and 41 (policy) of proc(5) are at 37 and 38.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const prio = Number(rest[37]);
    const policy = Number(rest[38]);
    const name = (POLICY_NAMES[policy] ?? String(policy)) + (prio ? `/${prio}` : '');
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].map(([k, v]) => `${k}:${v}`).join(' ');
}

/** The 1-, 5- and 15-minute load averages. */
export function loadAverage(): [number, number, number] {
  const [a, b, c] = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
  return [a!, b!, c!];
}

export interface CpuWindow {
  wallS: number;
  cpuS: number;
  /** CPU seconds per wall second (1.0 = one core busy). */
  ratio: number;
}

/** Starts a CPU window on a process now; calling the result ends it. */
export function startCpuWindow(pid: number): () => CpuWindow {
  const w0 = performance.now();
  const c0 = cpuSeconds(pid);
  return () => {
    const wallS = (performance.now() - w0) / 1000;
    const cpuS = cpuSeconds(pid) - c0;
    return { wallS, cpuS, ratio: cpuS / wallS };
  };
}

/** The median of a non-empty list: the figure a bench reports over several windows, which one odd window does not move. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Per-window figures as a bench prints them beside their median: `1.234, 0.987, …`. */
export function windowList(xs: readonly number[]): string {
  return xs.map((x) => x.toFixed(3)).join(', ');
}

/**
 * The threads of a thread CPU window above 0.2 % of a core, busiest first, comma-separated: `label x.xx%`,
 * and for a thread that wakes at least 50 times a second, its wake-ups and CPU per wake-up: a per-period
 * thread's cost is its wake-up rate times what one wake-up costs, and the second is what code can change.
 */
export function busyThreads<T extends { name: string; ratio: number; wakesPerS?: number }>(threads: readonly T[], label: (t: T) => string = (t) => t.name): string {
  return threads
    .filter((t) => t.ratio >= 0.002)
    .map((t) => {
      const wakes = t.wakesPerS ?? 0;
      const each = wakes >= 50 ? ` (${Math.round(wakes)}/s × ${((t.ratio / wakes) * 1e6).toFixed(1)} µs)` : '';
      return `${label(t)} ${(t.ratio * 100).toFixed(2)}%${each}`;
    })
    .join(', ');
}
