// Soak: riffbox's server with synthetic clients for an hour (or as long as asked), a row of figures per window.
// Prints figures, asserts nothing; its last line says whether anything grew or broke. Run:
//
//   npm run soak                                  # 10 clients, 128 frames, 60 minutes, a row per 5 minutes
//   npm run soak -- --minutes 10 --window 1 --clients 10 --frames 64
//
// One load generator process (load-generator.ts, as in bench:server) runs the clients at SCHED_FIFO 40 where
// allowed, so the intervals describe the server rather than the generator. Per window: the server's CPU
// (all threads, cores), its RSS, the server→client packet interval p50/p99/max pooled over the clients, the
// share of packets that arrived, the engine's late and skipped ticks and drops, and what the machine was
// doing (1-minute load average, CPU time the host stole).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ProcessGroup } from '../harness/processes.js';
import { realtimeAllowed } from '../harness/realtime.js';
import { stealMeter } from '../harness/host-steal.js';
import { startRiffboxServer } from '../interop/support/riffbox-server.js';
import { loadAverage, rssMiB, startCpuWindow } from './proc-stats.js';
import type { LoadResult } from './load-generator.js';

const here = dirname(fileURLToPath(import.meta.url));
const LOAD_GENERATOR = join(here, 'load-generator.js');
const GENERATOR_RT_PRIORITY = 40;
const WARM_UP_S = 30;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Options {
  minutes: number;
  windowMinutes: number;
  clients: number;
  frames: 64 | 128;
}

function parseArgs(argv: string[]): Options {
  const num = (flag: string, dflt: number): number => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : dflt;
  };
  const o = { minutes: num('--minutes', 60), windowMinutes: num('--window', 5), clients: num('--clients', 10), frames: num('--frames', 128) };
  if (!(o.minutes > 0)) throw new Error(`--minutes: a positive number, not ${o.minutes}`);
  if (!(o.windowMinutes > 0)) throw new Error(`--window: a positive number of minutes, not ${o.windowMinutes}`);
  if (!Number.isInteger(o.clients) || o.clients < 1 || o.clients > 150) throw new Error(`--clients: 1..150, not ${o.clients}`);
  if (o.frames !== 64 && o.frames !== 128) throw new Error(`--frames: 64 or 128, not ${o.frames}`);
  return { ...o, windowMinutes: Math.min(o.windowMinutes, o.minutes), frames: o.frames as 64 | 128 };
}

const f = (x: number, d: number, w: number): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a').padStart(w);

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const windows = Math.max(1, Math.round(o.minutes / o.windowMinutes));
  const g = new ProcessGroup('soak');
  try {
    const server = await startRiffboxServer(g, { fastUpdate: o.frames === 64, maxClients: Math.max(10, o.clients) });
    const out = g.path('load.json');
    const genArgs = [LOAD_GENERATOR, '--server', server.address, '--clients', String(o.clients), '--frames', String(o.frames), '--out', out];
    const rt = realtimeAllowed();
    const gen = rt ? g.spawn('load-generator', 'chrt', ['-f', String(GENERATOR_RT_PRIORITY), process.execPath, ...genArgs]) : g.spawn('load-generator', process.execPath, genArgs);
    const streaming = await gen.waitForLine(/^streaming (\d+) of/, 60_000, 'stdout');
    console.log(`soak: riffbox server, ${streaming[1]} of ${o.clients} synthetic clients streaming, ${o.frames} frames; ${windows} window(s) of ${o.windowMinutes} min after ${WARM_UP_S} s of warm-up; load generator ${rt ? `SCHED_FIFO ${GENERATOR_RT_PRIORITY}` : 'SCHED_OTHER'}`);
    console.log('cpu: server CPU seconds per wall second; p50/p99/max: server→client packet interval (ms), pooled; rx: packets received ÷ one per frame per client;');
    console.log('late/skipped: engine ticks that found several due / dropped after a stall; load1: load average; steal: CPU time the host took\n');
    console.log(' window  minutes    cpu  rss MiB  p50 ms  p99 ms  max ms    rx %  late ticks  skipped  drops  load1  steal %');
    await sleep(WARM_UP_S * 1000);

    const rows: Array<{ rss: number; p99: number; late: number; skipped: number; cpu: number }> = [];
    const t0 = performance.now();
    for (let w = 1; w <= windows; w++) {
      const before = await server.stats();
      const cpu = startCpuWindow(server.process.pid);
      const steal = stealMeter();
      const load1 = loadAverage()[0];
      rmSync(out, { force: true });
      process.kill(gen.pid, 'SIGUSR1');
      await sleep(o.windowMinutes * 60_000);
      process.kill(gen.pid, 'SIGUSR2');
      const c = cpu();
      const deadline = performance.now() + 30_000;
      while (!existsSync(out) && performance.now() < deadline) await sleep(100);
      if (!server.process.running) throw new Error(`the server exited in window ${w}\n${server.process.tail()}`);
      const load = JSON.parse(readFileSync(out, 'utf8')) as LoadResult;
      const after = await server.stats();
      const drops = Object.entries(after.dropped).reduce((n, [k, v]) => n + v - (before.dropped[k] ?? 0), 0);
      const row = { rss: rssMiB(server.process.pid), p99: load.intervals.p99, late: after.lateTicks - before.lateTicks, skipped: after.skippedTicks - before.skippedTicks, cpu: c.ratio };
      rows.push(row);
      console.log(
        [
          String(w).padStart(7),
          f((performance.now() - t0) / 60_000, 1, 8),
          f(c.ratio, 3, 6),
          f(row.rss, 1, 8),
          f(load.intervals.p50, 3, 7),
          f(load.intervals.p99, 3, 7),
          f(load.intervals.max, 1, 7),
          f((100 * load.packets) / load.expectedPackets, 1, 7),
          String(row.late).padStart(11),
          String(row.skipped).padStart(8),
          String(drops).padStart(6),
          f(load1, 2, 6),
          f(steal.read().fraction * 100, 2, 8),
        ].join(' '),
      );
      if (load.streaming < o.clients) console.log(`        only ${load.streaming} of ${o.clients} clients were streaming at the end of window ${w}`);
    }
    const final = await server.stats();
    const first = rows[0]!;
    const last = rows[rows.length - 1]!;
    console.log(`\nRSS ${first.rss.toFixed(1)} → ${last.rss.toFixed(1)} MiB over ${rows.length} window(s); interval p99 worst ${Math.max(...rows.map((r) => r.p99)).toFixed(3)} ms, median ${rows.map((r) => r.p99).sort((a, b) => a - b)[Math.floor(rows.length / 2)]!.toFixed(3)} ms; CPU ${Math.min(...rows.map((r) => r.cpu)).toFixed(3)}–${Math.max(...rows.map((r) => r.cpu)).toFixed(3)}`);
    console.log(`late ticks ${rows.reduce((n, r) => n + r.late, 0)}, skipped ${rows.reduce((n, r) => n + r.skipped, 0)} of ${final.ticks}; clients connected at the end ${final.clients}; drops ${JSON.stringify(final.dropped)}`);
  } finally {
    await g.stopAll();
  }
}

main().catch((e: unknown) => {
  console.error(`soak: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
});
