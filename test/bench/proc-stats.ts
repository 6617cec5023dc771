// What Linux knows about a process from the outside: CPU time of all its threads, resident memory,
// and the machine's load. Read from /proc, so the same figures come out for Node and for Jamulus.
import { readFileSync } from 'node:fs';
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
