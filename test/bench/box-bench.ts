// The whole box under load: riffbox's server plus riffbox's local client (on a dummy-jackd ALSA device, as
// the interop tests run it) with N synthetic remote musicians, against Debian's Jamulus server plus Jamulus's
// headless client (on a dummy jackd) with the same N. Prints figures, asserts nothing.
//
//   npm run bench:box                       N = 3 and 9 (4 and 10 musicians with the local one)
//   npm run bench:box -- --n 3 --measure 10 --rounds 3 --warmup 3 [--pcm raw|plug]
//
// Both boxes run at the same time, each with its own dummy jackd and load generator, and are measured over the
// same windows, so a host that slows down or speeds up does so for both; measured one after the other, the ratio
// moved by a third between consecutive runs. The figure is the median of the windows' ratios.
//
// Per N, window and box: CPU of the server and of the local client per wall second (/proc, all threads), the client
// without the ALSA jack plugin's threads (they exist only because this machine reaches JACK through ALSA; on
// the box a USB interface is opened as hw: directly), per-period instruction counts of both clients from
// `perf stat` where the machine exposes the counter (so the cost on a Pi's Cortex-A72/A76 can be estimated
// without one; `n/a` on VMs without a PMU), and riffbox's overall delay and xruns over the window.
// One line per N: `musicians=M box_cpu_ratio=X` (riffbox box ÷ Jamulus box, median of the windows; target ≤ 1.0).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ProcessGroup, type ManagedProcess } from '../harness/processes.js';
import { playSine, realtimeAllowed, startJackd } from '../harness/jack.js';
import { startJamulusClient, startJamulusServer } from '../harness/jamulus.js';
import { freeTcpPort, freeUdpPort, randomSecret, waitForUdpBound } from '../harness/ports.js';
import { benchPcm, pluginThreadsCpu, startRiffboxClient, writeAsoundrc, CLI } from '../interop/client-rig.js';
import { busyThreads, loadAverage, median, startCpuWindow, startThreadCpuWindow, type CpuWindow, windowList } from './proc-stats.js';
import type { ClientStats } from '../../appliance/src/client/client-options.js';

type Box = 'riffbox' | 'jamulus';

const here = dirname(fileURLToPath(import.meta.url));
const LOAD_GENERATOR = join(here, 'load-generator.js');
/** As server-bench: below the peers (60) and jackd (70). */
const GENERATOR_RT_PRIORITY = 40;
/** Both servers as the interop tests run them: SCHED_FIFO 60 where allowed. */
const SERVER_RT_PRIORITY = 60;
const FRAMES = 128;
const PERIODS_PER_S = 48000 / FRAMES;

function numbers(flag: string): number[] {
  const out: number[] = [];
  process.argv.forEach((a, i) => {
    if (a === flag && process.argv[i + 1]) out.push(...process.argv[i + 1]!.split(',').map(Number));
  });
  return out;
}
function num(flag: string, dflt: number): number {
  const i = process.argv.indexOf(flag);
  return i >= 0 && process.argv[i + 1] ? Number(process.argv[i + 1]) : dflt;
}

const NS = numbers('--n').length ? numbers('--n') : [3, 9];
const WARMUP_S = num('--warmup', 3);
const MEASURE_S = num('--measure', 10);
const ROUNDS = num('--rounds', 3);
const PCM = benchPcm(process.argv);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Instructions the process ran over `seconds` (perf stat), or null where the counter is not available. */
function perfInstructions(pid: number, seconds: number): Promise<number | null> {
  return new Promise((resolve) => {
    execFile('perf', ['stat', '-x', ',', '-e', 'instructions', '-p', String(pid), '--', 'sleep', String(seconds)], (err, _out, stderr) => {
      if (err) return resolve(null);
      const line = stderr.split('\n').find((l) => l.includes('instructions'));
      const n = line ? Number(line.split(',')[0]) : NaN;
      resolve(Number.isFinite(n) ? n : null);
    });
  });
}

/** One box, started and streaming: its server, its local client and its load generator. */
interface RunningBox {
  box: Box;
  serverProc: ManagedProcess;
  clientPid: number;
  /** The riffbox client's JSON-RPC (null for Jamulus). */
  rpc: { call<T>(m: string): Promise<T> } | null;
}

/** One measured window of one box. */
interface BoxWindow {
  server: CpuWindow;
  client: CpuWindow;
  /** The client's CPU in the jack plugin's threads (riffbox only). */
  pluginCpu: number;
  clientThreads: string;
  instructionsPerPeriod: number | null;
  delayMs: number | null;
  xruns: number | null;
}

async function startRiffboxServer(group: ProcessGroup, maxClients: number): Promise<{ proc: ManagedProcess; address: string }> {
  const port = await freeUdpPort();
  const rpcPort = await freeTcpPort();
  const secretFile = group.path('server.secret');
  writeFileSync(secretFile, randomSecret() + '\n', { mode: 0o600 });
  const args = [CLI, 'server', '--port', String(port), '--max-clients', String(maxClients), '--jsonrpc-port', String(rpcPort), '--jsonrpc-secret-file', secretFile];
  const [cmd, cmdArgs] = realtimeAllowed() ? ['chrt', ['-f', String(SERVER_RT_PRIORITY), process.execPath, ...args]] : [process.execPath, args];
  const proc = group.spawn('riffbox-server', cmd, cmdArgs);
  await proc.waitForLine(/^riffbox server listening on udp\//, 15000, 'stdout');
  await waitForUdpBound(port, 5000, () => proc.running);
  return { proc, address: `127.0.0.1:${port}` };
}

async function startBox(group: ProcessGroup, box: Box, n: number): Promise<RunningBox> {
  const maxClients = Math.max(10, n + 1);
  const jack = await startJackd(group, { frames: FRAMES });
  const server =
    box === 'riffbox'
      ? await startRiffboxServer(group, maxClients)
      : await (async () => {
          const s = await startJamulusServer(group, { maxClients, realtime: true });
          return { proc: s.process, address: s.address };
        })();
  let clientPid: number;
  let rpc: RunningBox['rpc'] = null;
  if (box === 'riffbox') {
    const c = await startRiffboxClient(group, { server: server.address, jack, asoundrc: writeAsoundrc(group), device: PCM, frames: FRAMES, name: 'BoxLocal' });
    await playSine(group, jack, (await c.ports()).capture);
    clientPid = c.process.pid;
    rpc = c.rpc;
  } else {
    const c = await startJamulusClient(group, { server: server.address, jack, frames: FRAMES, name: 'BoxLocal', quality: 'normal', channels: 'mono' });
    await playSine(group, jack, [c.inputs.left, c.inputs.right]);
    clientPid = c.process.pid;
  }
  const genArgs = [LOAD_GENERATOR, '--server', server.address, '--clients', String(n), '--frames', String(FRAMES), '--out', group.path(`load-${box}.json`)];
  const gen = realtimeAllowed()
    ? group.spawn(`load-generator-${box}`, 'chrt', ['-f', String(GENERATOR_RT_PRIORITY), process.execPath, ...genArgs])
    : group.spawn(`load-generator-${box}`, process.execPath, genArgs);
  await gen.waitForLine(/^streaming \d+ of/, 40000, 'stdout');
  return { box, serverProc: server.proc, clientPid, rpc };
}

/** Opens one box's window now; the returned function closes it. */
async function openWindow(b: RunningBox): Promise<() => Promise<BoxWindow>> {
  const statsBefore = b.rpc ? await b.rpc.call<ClientStats>('riffbox/getStats') : null;
  const endServer = startCpuWindow(b.serverProc.pid);
  const endClient = startCpuWindow(b.clientPid);
  const endThreads = startThreadCpuWindow(b.clientPid);
  const instructions = perfInstructions(b.clientPid, MEASURE_S);
  return async () => {
    const server = endServer();
    const client = endClient();
    const threads = endThreads();
    const statsAfter = b.rpc ? await b.rpc.call<ClientStats>('riffbox/getStats') : null;
    if (statsAfter && statsAfter.state !== 'connected') throw new Error(`riffbox client not connected at the end: ${JSON.stringify(statsAfter)}`);
    if (!b.serverProc.running) throw new Error(`${b.box} server exited\n${b.serverProc.tail()}`);
    const count = await instructions;
    return {
      server,
      client,
      pluginCpu: pluginThreadsCpu(threads),
      clientThreads: busyThreads(threads),
      instructionsPerPeriod: count === null ? null : count / (MEASURE_S * PERIODS_PER_S),
      delayMs: statsAfter?.overallDelayMs ?? null,
      xruns: statsBefore && statsAfter ? statsAfter.device.xruns - statsBefore.device.xruns : null,
    };
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;
const boxCpu = (w: BoxWindow): number => w.server.ratio + w.client.ratio;

function printWindow(box: Box, n: number, w: BoxWindow): void {
  const ipp = w.instructionsPerPeriod === null ? 'n/a (no instruction counter here)' : `${Math.round(w.instructionsPerPeriod)}`;
  console.log(
    `  ${box.padEnd(7)} ${n + 1} musicians: server ${pct(w.server.ratio)}, local client ${pct(w.client.ratio)}` +
      (box === 'riffbox' ? ` (${pct(w.client.ratio - w.pluginCpu)} without the jack plugin's threads)` : '') +
      `, box ${pct(boxCpu(w))}; client instructions per period ${ipp}`,
  );
  console.log(`          client threads: ${w.clientThreads}`);
  if (box === 'riffbox') console.log(`          riffbox client: overall delay ${w.delayMs} ms, xruns ${w.xruns} in ${MEASURE_S} s`);
}

/** Both boxes run at once, each with its own jackd and load generator, and are measured over the same windows. */
async function runPair(n: number): Promise<void> {
  const group = new ProcessGroup(`box-bench-${n}`);
  try {
    // Jamulus's box first: riffbox's JIT then has only the stated warm-up before the first window.
    const jamulus = await startBox(group, 'jamulus', n);
    const boxes = [await startBox(group, 'riffbox', n), jamulus] as const;
    await sleep(WARMUP_S * 1000);
    const ratios: number[] = [];
    const ratiosWithout: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const ends = await Promise.all(boxes.map((b) => openWindow(b)));
      await sleep(MEASURE_S * 1000);
      const [riff, jam] = await Promise.all(ends.map((end) => end()));
      console.log(`round ${round}/${ROUNDS}, load average ${loadAverage().join(' ')}:`);
      printWindow('riffbox', n, riff!);
      printWindow('jamulus', n, jam!);
      ratios.push(boxCpu(riff!) / boxCpu(jam!));
      ratiosWithout.push((boxCpu(riff!) - riff!.pluginCpu) / boxCpu(jam!));
    }
    console.log(`musicians=${n + 1} box_cpu_ratio=${median(ratios).toFixed(3)} (median of ${ROUNDS} windows: ${windowList(ratios)}; without the jack plugin's threads ${median(ratiosWithout).toFixed(3)}: ${windowList(ratiosWithout)})`);
  } catch (e) {
    console.log(`${n + 1} musicians FAILED: ${(e as Error).message}\n${group.describe(10)}`);
    console.log(`musicians=${n + 1} box_cpu_ratio=n/a`);
  } finally {
    await group.stopAll();
  }
}

async function main(): Promise<void> {
  console.log(
    `box-bench: ${FRAMES}-sample frames, local client mono normal (riffbox's on ALSA PCM ${PCM}), N synthetic remote musicians (OPUS mono normal); ` +
      `both boxes side by side, ${WARMUP_S} s warm-up, ${ROUNDS} windows of ${MEASURE_S} s; load average ${loadAverage().join(' ')}`,
  );
  for (const n of NS) await runPair(n);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error((e as Error).stack ?? String(e));
    process.exit(1);
  },
);
