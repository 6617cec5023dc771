// The rows and lines that bench:server prints, and the shape of one server's measured run.
import type { CpuWindow } from './proc-stats.js';
import type { LoadResult } from './load-generator.js';

export type ServerKind = 'riffbox' | 'riffbox-rec' | 'jamulus' | 'jamulus-rec';
export type Frames = 64 | 128;

export interface RiffboxCounters {
  ticks: number;
  lateTicks: number;
  skippedTicks: number;
  audioPacketsOut: number;
  engineRealtime: boolean;
  dropped: Record<string, number>;
}

export interface RunResult {
  server: ServerKind;
  frames: Frames;
  n: number;
  load1: number;
  serverCpu: CpuWindow;
  generatorCpu: CpuWindow;
  rssMiB: number;
  peakRssMiB: number;
  threads: number;
  /** Scheduling policy of the server's threads, e.g. "OTHER:12 FIFO/80:1". */
  policies: string;
  generatorPolicies: string;
  /** The busiest server threads over the window, "name cpu/wall". */
  busiestThreads: string;
  load: LoadResult;
  /** Difference of riffbox/getServerStats over the window. */
  counters?: RiffboxCounters;
  /** riffbox-rec: the recorder's writer thread over the window, and what it wrote. */
  recorder?: { writerCpu: number; bytes: number; droppedTicks: number };
}

const f = (x: number, d: number, w: number): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a').padStart(w);

export const HEADER =
  'frames   N  server       cpu/wall  p50 ms  p99 ms  max ms   late   rx %  strm  rss MiB  thr  gen cpu  gen late  load1';

export function row(r: RunResult): string {
  const l = r.load;
  return [
    String(r.frames).padStart(6),
    String(r.n).padStart(3),
    ` ${r.server.padEnd(11)}`,
    f(r.serverCpu.ratio, 3, 9),
    f(l.intervals.p50, 3, 7),
    f(l.intervals.p99, 3, 7),
    f(l.intervals.max, 2, 7),
    String(l.intervals.late).padStart(6),
    f((100 * l.packets) / l.expectedPackets, 1, 6),
    String(l.streaming).padStart(5),
    f(r.rssMiB, 1, 9),
    String(r.threads).padStart(4),
    f(r.generatorCpu.ratio, 3, 8),
    String(l.generator.lateCallbacks).padStart(9),
    f(r.load1, 2, 6),
  ].join(' ');
}

export function ratioRow(a: RunResult, b: RunResult): string {
  const q = (x: number, y: number): string => f(x / y, 2, 0);
  return (
    `${String(a.frames).padStart(6)} ${String(a.n).padStart(3)}  ${a.server}÷${b.server}: cpu ${q(a.serverCpu.ratio, b.serverCpu.ratio)}` +
    `  p50 ${q(a.load.intervals.p50, b.load.intervals.p50)}  p99 ${q(a.load.intervals.p99, b.load.intervals.p99)}` +
    `  max ${q(a.load.intervals.max, b.load.intervals.max)}  late ${a.load.intervals.late}/${b.load.intervals.late}` +
    `  rss ${q(a.rssMiB, b.rssMiB)}`
  );
}

export function recordingLine(rec: RunResult, plain: RunResult | undefined): string {
  const r = rec.recorder!;
  const extra = plain ? f(rec.serverCpu.ratio - plain.serverCpu.ratio, 3, 0) : 'n/a';
  return (
    `${String(rec.frames).padStart(6)} ${String(rec.n).padStart(3)}  recording's own cost: writer thread ${f(r.writerCpu, 4, 0)} of a core,` +
    ` server cpu ${f(rec.serverCpu.ratio, 3, 0)} recording vs ${plain ? f(plain.serverCpu.ratio, 3, 0) : 'n/a'} not (${extra});` +
    ` wrote ${(r.bytes / 1e6).toFixed(1)} MB (${((r.bytes / 1e6) / rec.load.windowMs * 1000).toFixed(2)} MB/s), ring dropped ${r.droppedTicks} ticks`
  );
}

export function counterLine(r: RunResult): string {
  const c = r.counters!;
  const drops = Object.entries(c.dropped).map(([k, v]) => `${k}=${v}`).join(',') || 'none';
  return (
    `${String(r.frames).padStart(6)} ${String(r.n).padStart(3)}  riffbox counters over the window: ticks ${c.ticks}` +
    ` lateTicks ${c.lateTicks} skippedTicks ${c.skippedTicks} audioPacketsOut ${c.audioPacketsOut}` +
    ` engineRealtime ${c.engineRealtime} drops ${drops}`
  );
}
