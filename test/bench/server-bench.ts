// riffbox's server against Debian's Jamulus 3.9.1 server under the same synthetic load, side by side.
// Prints figures, asserts nothing (issue 2, "Benchmark"). Run: npm run bench:server [-- options]
//
//   --quick              N = 1 and 10 only, shorter windows
//   --n 10[,30]          only these client counts (repeatable)
//   --frames 128[,64]    only these frame sizes (64 = fast-update server and OPUS64 clients)
//   --servers riffbox,jamulus
//   --warmup S --measure S
//   --alone              run each server on its own, one after the other (default: side by side, see below)
//   --jamulus-chrt       with --alone, run Jamulus under `chrt -f 60` (riffbox's timer thread asks for SCHED_FIFO by
//                        itself; Jamulus 3.9.1 keeps SCHED_OTHER unless started like this). Side by side, Jamulus
//                        always runs so where the machine allows it, or it would wait behind riffbox at every tick.
//   --no-generator-rt    leave the load generator on SCHED_OTHER (default: SCHED_FIFO 40 where allowed)
//   --recording          also run both servers recording every client (kinds riffbox-rec and jamulus-rec, to a folder
//                        under the run's temporary directory); ratio lines compare riffbox-rec with Jamulus recording
//                        and not, and a line per run prints what recording costs riffbox: its writer thread's CPU and
//                        the server's CPU above the same run without recording
//
// The load generator runs SCHED_FIFO by default because the intervals are timestamped in its event loop:
// on a loaded shared machine a SCHED_OTHER generator reads its sockets in bursts, and the figures then
// describe the generator, not the server. It needs 0.1–0.5 of a core and sleeps between frames, so it
// does not starve the server.
//
// For every frame size and N, riffbox and Jamulus run at the same time, each with its own load generator, and
// are measured over the same window: a host whose speed drifts (this VM's did by half between consecutive runs)
// then drifts for both. Each server: start it, start its load generator (one separate process, N synthetic
// clients), wait until every client streams; then both warm up, and one measurement window is bracketed by
// /proc samples of each server and each generator. Intervals are arrival times seen by the generator's
// event loop, so they include its own scheduling noise — the same for both servers.
//
// The last line is `server_cpu_ratio=X interval_p99_ratio=Y`, riffbox ÷ Jamulus at N = 10, 128 frames.
import { writeFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ProcessGroup, type ManagedProcess } from '../harness/processes.js';
import { freeTcpPort, freeUdpPort, randomSecret, waitForUdpBound } from '../harness/ports.js';
import { connect as rpcConnect, type JsonRpcClient } from '../harness/jsonrpc-client.js';
import { keepThreadsRealtime, realtimeAllowed } from '../harness/realtime.js';
import { loadAverage, peakRssMiB, rssMiB, startCpuWindow, startThreadCpuWindow, threadCount, threadPolicies } from './proc-stats.js';
import type { LoadResult } from './load-generator.js';
import { HEADER, counterLine, ratioRow, recordingLine, row, type Frames, type RiffboxCounters, type RunResult, type ServerKind } from './server-bench-report.js';

const KINDS: readonly ServerKind[] = ['riffbox', 'riffbox-rec', 'jamulus', 'jamulus-rec'];

const here = dirname(fileURLToPath(import.meta.url));
const RIFFBOX_CLI = join(here, '..', '..', 'appliance', 'src', 'cli.js');
const LOAD_GENERATOR = join(here, 'load-generator.js');
const JAMULUS = '/usr/bin/Jamulus';
/** Below the harness's Jamulus peers (60) and jackd (70) that other tests on this machine run. */
const GENERATOR_RT_PRIORITY = 40;

interface Options {
  ns: number[];
  frames: Frames[];
  servers: ServerKind[];
  warmupS: number;
  measureS: number;
  jamulusChrt: boolean;
  generatorRt: boolean;
  recording: boolean;
  /** Each server on its own, one after the other, instead of each beside its counterpart. */
  alone: boolean;
}

interface RunFailure {
  server: ServerKind;
  frames: Frames;
  n: number;
  error: string;
}

function parseArgs(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const list = (flag: string): string[] => {
    const out: string[] = [];
    argv.forEach((a, i) => {
      if (a === flag && argv[i + 1]) out.push(...argv[i + 1]!.split(','));
    });
    return out;
  };
  const num = (flag: string, dflt: number): number => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] ? Number(argv[i + 1]) : dflt;
  };
  const ns = list('--n').map(Number);
  const frames = list('--frames').map(Number);
  const servers = list('--servers');
  for (const f of frames) if (f !== 64 && f !== 128) throw new Error(`--frames: 64 or 128, not ${f}`);
  for (const s of servers) if (!(KINDS as readonly string[]).includes(s)) throw new Error(`--servers: ${KINDS.join(', ')}, not ${s}`);
  const recording = argv.includes('--recording');
  const alone = argv.includes('--alone');
  for (const n of ns) if (!Number.isInteger(n) || n < 1 || n > 150) throw new Error(`--n: 1..150, not ${n}`);
  return {
    ns: ns.length ? ns : quick ? [1, 10] : [1, 10, 30],
    frames: (frames.length ? frames : [128, 64]) as Frames[],
    servers: (servers.length ? servers : recording ? KINDS : ['riffbox', 'jamulus']) as ServerKind[],
    warmupS: num('--warmup', quick ? 2 : 3),
    measureS: num('--measure', quick ? 5 : 8),
    // Side by side, a SCHED_OTHER Jamulus would wait behind riffbox's SCHED_FIFO thread at every tick.
    jamulusChrt: argv.includes('--jamulus-chrt') || (!alone && realtimeAllowed()),
    alone,
    generatorRt: !argv.includes('--no-generator-rt') && realtimeAllowed(),
    recording,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The recorder's writer thread, the bytes its session holds, and the ticks the ring dropped. */
async function recorderFigures(rpc: JsonRpcClient): Promise<{ tid: number; bytes: number; droppedTicks: number }> {
  const d = await rpc.call<{ writerThreadId: number; droppedTicks: number; session: { bytes: number } | null }>('riffbox/getRecorderDetails');
  if (!d.session) throw new Error('riffbox-rec: no session is being recorded');
  return { tid: d.writerThreadId, bytes: d.session.bytes, droppedTicks: d.droppedTicks };
}

async function getRiffboxCounters(rpc: JsonRpcClient): Promise<RiffboxCounters> {
  return rpc.call<RiffboxCounters>('riffbox/getServerStats');
}

function diffCounters(a: RiffboxCounters, b: RiffboxCounters): RiffboxCounters {
  const dropped: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.dropped)) {
    const d = v - (a.dropped[k] ?? 0);
    if (d) dropped[k] = d;
  }
  return {
    ticks: b.ticks - a.ticks,
    lateTicks: b.lateTicks - a.lateTicks,
    skippedTicks: b.skippedTicks - a.skippedTicks,
    audioPacketsOut: b.audioPacketsOut - a.audioPacketsOut,
    engineRealtime: b.engineRealtime,
    dropped,
  };
}

/** Starts the server; resolves with its process and, for riffbox, an authenticated JSON-RPC connection. */
async function startServer(group: ProcessGroup, kind: ServerKind, frames: Frames, maxClients: number, jamulusChrt: boolean): Promise<{ proc: ManagedProcess; port: number; rpc: JsonRpcClient | null }> {
  const port = await freeUdpPort();
  if (kind === 'jamulus' || kind === 'jamulus-rec') {
    const args = ['-s', '-n', '-p', String(port), '-u', String(maxClients)];
    if (frames === 64) args.push('-F');
    if (kind === 'jamulus-rec') args.push('-R', group.path('recordings'));
    const proc = jamulusChrt ? group.spawn('jamulus-server', 'chrt', ['-f', '60', JAMULUS, ...args]) : group.spawn('jamulus-server', JAMULUS, args);
    // Qt starts its socket and timer threads as SCHED_OTHER explicitly; chrt alone reaches only main.
    if (jamulusChrt) keepThreadsRealtime(proc, 60);
    await waitForUdpBound(port, 10000, () => proc.running);
    return { proc, port, rpc: null };
  }
  const rpcPort = await freeTcpPort();
  const secret = randomSecret();
  const secretFile = group.path('jsonrpc.secret');
  writeFileSync(secretFile, secret + '\n', { mode: 0o600 });
  const args = [RIFFBOX_CLI, 'server', '--no-port-mapping', '--port', String(port), '--max-clients', String(maxClients), '--jsonrpc-port', String(rpcPort), '--jsonrpc-secret-file', secretFile];
  if (frames === 64) args.push('--fast-update');
  if (kind === 'riffbox-rec') args.push('--recording', group.path('recordings'), '--recording-reserve-mb', '100');
  const proc = group.spawn('riffbox-server', process.execPath, args);
  await proc.waitForLine(/riffbox server listening on udp\/\d+/, 15000, 'stdout');
  const rpc = await rpcConnect(rpcPort, secret, 10000);
  group.onCleanup(() => rpc.close());
  return { proc, port, rpc };
}

/** One server under load, streaming: its process, its load generator and where the generator writes. */
interface Started {
  kind: ServerKind;
  frames: Frames;
  n: number;
  load1: number;
  server: { proc: ManagedProcess; port: number; rpc: JsonRpcClient | null };
  gen: ManagedProcess;
  out: string;
}

async function startLoaded(group: ProcessGroup, kind: ServerKind, frames: Frames, n: number, opts: Options): Promise<Started> {
  const load1 = loadAverage()[0];
  const server = await startServer(group, kind, frames, Math.max(10, n), opts.jamulusChrt);
  const out = group.path(`load-${kind}.json`);
  const genArgs = [LOAD_GENERATOR, '--server', `127.0.0.1:${server.port}`, '--clients', String(n), '--frames', String(frames), '--out', out];
  const gen = opts.generatorRt
    ? group.spawn(`load-generator-${kind}`, 'chrt', ['-f', String(GENERATOR_RT_PRIORITY), process.execPath, ...genArgs])
    : group.spawn(`load-generator-${kind}`, process.execPath, genArgs);
  await gen.waitForLine(/^streaming \d+ of/, 40000, 'stdout');
  return { kind, frames, n, load1, server, gen, out };
}

/** Opens one server's measurement window now; the returned function closes it and reads the results. */
async function openWindow(s: Started): Promise<() => Promise<RunResult>> {
  const { server, gen } = s;
  if (!server.proc.running) throw new Error(`${s.kind} server exited during warm-up\n${server.proc.tail()}`);
  const before = server.rpc ? await getRiffboxCounters(server.rpc) : null;
  const recBefore = s.kind === 'riffbox-rec' && server.rpc ? await recorderFigures(server.rpc) : null;
  const endServerCpu = startCpuWindow(server.proc.pid);
  const endGenCpu = startCpuWindow(gen.pid);
  const endThreads = startThreadCpuWindow(server.proc.pid);
  process.kill(gen.pid, 'SIGUSR1');
  return async () => {
    process.kill(gen.pid, 'SIGUSR2');
    const serverCpu = endServerCpu();
    const generatorCpu = endGenCpu();
    const threadRatios = endThreads();
    const busiestThreads = threadRatios
      .slice(0, 4)
      .map((t) => `${t.name}#${t.tid} ${t.ratio.toFixed(3)}`)
      .join(', ');
    const rss = rssMiB(server.proc.pid);
    const peak = peakRssMiB(server.proc.pid);
    const threads = threadCount(server.proc.pid);
    const policies = threadPolicies(server.proc.pid);
    const generatorPolicies = threadPolicies(gen.pid);
    const after = server.rpc ? await getRiffboxCounters(server.rpc) : null;
    const recAfter = recBefore && server.rpc ? await recorderFigures(server.rpc) : null;
    await gen.waitForLine(/^results /, 10000, 'stdout');
    const load = JSON.parse(readFileSync(s.out, 'utf8')) as LoadResult;
    if (!server.proc.running) throw new Error(`${s.kind} server exited during the measurement\n${server.proc.tail()}`);
    return {
      server: s.kind,
      frames: s.frames,
      n: s.n,
      load1: s.load1,
      serverCpu,
      generatorCpu,
      rssMiB: rss,
      peakRssMiB: peak,
      threads,
      policies,
      generatorPolicies,
      busiestThreads,
      load,
      counters: before && after ? diffCounters(before, after) : undefined,
      recorder:
        recBefore && recAfter
          ? {
              writerCpu: threadRatios.find((t) => t.tid === recAfter.tid)?.ratio ?? NaN,
              bytes: recAfter.bytes - recBefore.bytes,
              droppedTicks: recAfter.droppedTicks - recBefore.droppedTicks,
            }
          : undefined,
    };
  };
}

/** Runs the given servers at once under the same load, measured over the same window. */
async function runTogether(kinds: readonly ServerKind[], frames: Frames, n: number, opts: Options): Promise<RunResult[]> {
  const group = new ProcessGroup(`server-bench-${kinds.join('+')}-${frames}-${n}`);
  try {
    // Jamulus first: riffbox's JIT then has only the stated warm-up before the window, not also the time the
    // other server took to start.
    const started: Started[] = new Array(kinds.length);
    const jamulusFirst = kinds.map((kind, i) => ({ kind, i })).sort((a, b) => Number(a.kind.startsWith('riffbox')) - Number(b.kind.startsWith('riffbox')));
    for (const { kind, i } of jamulusFirst) started[i] = await startLoaded(group, kind, frames, n, opts);
    await sleep(opts.warmupS * 1000);
    const ends = await Promise.all(started.map((s) => openWindow(s)));
    await sleep(opts.measureS * 1000);
    return await Promise.all(ends.map((end) => end()));
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${group.describe(10)}`);
  } finally {
    await group.stopAll();
  }
}

/** The sets that run at once: each server with its counterpart (riffbox with Jamulus, recording with recording), or each alone. */
function runSets(opts: Options): ServerKind[][] {
  if (opts.alone) return opts.servers.map((s) => [s]);
  const pairs: ServerKind[][] = [
    ['riffbox', 'jamulus'],
    ['riffbox-rec', 'jamulus-rec'],
  ];
  return pairs.map((p) => p.filter((k) => opts.servers.includes(k))).filter((p) => p.length > 0);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const [l1, l5, l15] = loadAverage();
  console.log(`server-bench: load average at start ${l1} ${l5} ${l15}; ${opts.warmupS} s warm-up, ${opts.measureS} s measurement per run; ${opts.alone ? 'each server alone, one after the other' : runSets(opts).map((x) => x.join(' beside ')).join(', then ')}`);
  console.log(`N = ${opts.ns.join(', ')}; frames = ${opts.frames.join(', ')}; servers = ${opts.servers.join(', ')}; load generator ${opts.generatorRt ? `SCHED_FIFO ${GENERATOR_RT_PRIORITY}` : 'SCHED_OTHER'}${opts.jamulusChrt ? '; Jamulus under chrt -f 60' : ''}`);
  console.log('cpu/wall: server CPU seconds per wall second (all threads); intervals: server→client audio, pooled over clients;');
  console.log('late: intervals > 1.5 frame periods; rx: packets received ÷ one per frame per client; strm: clients streaming');
  console.log('gen: the load generator process (cpu/wall, and timer callbacks that found several frames due)\n');

  const results: RunResult[] = [];
  const failures: RunFailure[] = [];
  for (const frames of opts.frames) {
    for (const n of opts.ns) {
      for (const set of runSets(opts)) {
        const label = set.join(' + ');
        process.stdout.write(`running ${label} frames=${frames} N=${n} … `);
        try {
          const rs = await runTogether(set, frames, n, opts);
          results.push(...rs);
          console.log(rs.map((r) => `${r.server}: cpu ${r.serverCpu.ratio.toFixed(3)}, p99 ${r.load.intervals.p99.toFixed(3)} ms, generator cpu ${r.generatorCpu.ratio.toFixed(3)}`).join('; '));
        } catch (e) {
          for (const server of set) failures.push({ server, frames, n, error: (e as Error).message });
          console.log('FAILED');
          console.log((e as Error).message);
        }
      }
    }
  }

  console.log(`\n${HEADER}`);
  const find = (s: ServerKind, fr: Frames, n: number): RunResult | undefined => results.find((r) => r.server === s && r.frames === fr && r.n === n);
  for (const frames of opts.frames) {
    for (const n of opts.ns) {
      for (const s of opts.servers) {
        const r = find(s, frames, n);
        if (r) console.log(row(r));
        else console.log(`${String(frames).padStart(6)} ${String(n).padStart(3)}  ${s.padEnd(8)} FAILED`);
      }
      const a = find('riffbox', frames, n);
      const b = find('jamulus', frames, n);
      const ar = find('riffbox-rec', frames, n);
      const br = find('jamulus-rec', frames, n);
      if (a && b) console.log(ratioRow(a, b));
      if (ar && br) console.log(ratioRow(ar, br));
      if (ar && b) console.log(ratioRow(ar, b));
      if (ar) console.log(recordingLine(ar, a));
      if (a?.counters) console.log(counterLine(a));
      for (const s of opts.servers) {
        const r = find(s, frames, n);
        if (r) console.log(`${String(frames).padStart(6)} ${String(n).padStart(3)}  ${s} threads by scheduling policy: ${r.policies}; busiest: ${r.busiestThreads}; peak RSS ${r.peakRssMiB.toFixed(1)} MiB; generator ${r.generatorPolicies}, skipped ${r.load.generator.skippedFrames} frames, wrong-size packets (whole run) ${r.load.wrongSize}`);
      }
    }
  }
  for (const x of failures) console.log(`failed: ${x.server} frames=${x.frames} N=${x.n}: ${x.error.split('\n')[0]}`);
  const [e1, e5, e15] = loadAverage();
  console.log(`load average at the end ${e1} ${e5} ${e15}`);

  const ratios = (a: RunResult | undefined, b = find('jamulus', 128, 10)): string => {
    const cpu = a && b ? (a.serverCpu.ratio / b.serverCpu.ratio).toFixed(2) : 'n/a';
    const p99 = a && b ? (a.load.intervals.p99 / b.load.intervals.p99).toFixed(2) : 'n/a';
    return `server_cpu_ratio=${cpu} interval_p99_ratio=${p99}`;
  };
  if (opts.recording) {
    console.log(`recording on, riffbox ÷ Jamulus recording: ${ratios(find('riffbox-rec', 128, 10), find('jamulus-rec', 128, 10))}`);
    console.log(`recording on, riffbox ÷ Jamulus not recording: ${ratios(find('riffbox-rec', 128, 10))}`);
  }
  console.log(ratios(find('riffbox', 128, 10)));
  if (failures.length) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(`server-bench: ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
});
