// The whole box under load: riffbox's server plus riffbox's local client (on a dummy-jackd ALSA device, as
// the interop tests run it) with N synthetic remote musicians, against Debian's Jamulus server plus Jamulus's
// headless client (on a dummy jackd) with the same N. Prints figures, asserts nothing.
//
//   npm run bench:box                       N = 3 and 9 (4 and 10 musicians with the local one)
//   npm run bench:box -- --n 3 --measure 20 --warmup 3 [--pcm raw|plug]
//
// Per N and box: CPU of the server and of the local client per wall second (/proc, all threads), the client
// without the ALSA jack plugin's threads (they exist only because this machine reaches JACK through ALSA; on
// the box a USB interface is opened as hw: directly), per-period instruction counts of both clients from
// `perf stat` where the machine exposes the counter (so the cost on a Pi's Cortex-A72/A76 can be estimated
// without one; `n/a` on VMs without a PMU), and riffbox's overall delay and xruns over the window.
// One line per N: `musicians=M box_cpu_ratio=X` (riffbox box ÷ Jamulus box; target ≤ 1.0).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ProcessGroup, type ManagedProcess } from '../harness/processes.js';
import { playSine, realtimeAllowed, startJackd } from '../harness/jack.js';
import { startJamulusClient, startJamulusServer } from '../harness/jamulus.js';
import { freeTcpPort, freeUdpPort, randomSecret, waitForUdpBound } from '../harness/ports.js';
import { benchPcm, pluginThreadsCpu, startRiffboxClient, writeAsoundrc, CLI } from '../interop/client-rig.js';
import { loadAverage, startCpuWindow, startThreadCpuWindow, type CpuWindow } from './proc-stats.js';
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
const MEASURE_S = num('--measure', 15);
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

interface BoxRun {
  box: Box;
  n: number;
  load1: number;
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

async function runBox(box: Box, n: number): Promise<BoxRun> {
  const group = new ProcessGroup(`box-bench-${box}-${n}`);
  try {
    const load1 = loadAverage()[0];
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
    let riffRpc: { call<T>(m: string): Promise<T> } | null = null;
    if (box === 'riffbox') {
      const c = await startRiffboxClient(group, { server: server.address, jack, asoundrc: writeAsoundrc(group), device: PCM, frames: FRAMES, name: 'BoxLocal' });
      await playSine(group, jack, (await c.ports()).capture);
      clientPid = c.process.pid;
      riffRpc = c.rpc;
    } else {
      const c = await startJamulusClient(group, { server: server.address, jack, frames: FRAMES, name: 'BoxLocal', quality: 'normal', channels: 'mono' });
      await playSine(group, jack, [c.inputs.left, c.inputs.right]);
      clientPid = c.process.pid;
    }
    const genArgs = [LOAD_GENERATOR, '--server', server.address, '--clients', String(n), '--frames', String(FRAMES), '--out', group.path('load.json')];
    const gen = realtimeAllowed()
      ? group.spawn('load-generator', 'chrt', ['-f', String(GENERATOR_RT_PRIORITY), process.execPath, ...genArgs])
      : group.spawn('load-generator', process.execPath, genArgs);
    await gen.waitForLine(/^streaming \d+ of/, 40000, 'stdout');
    await sleep(WARMUP_S * 1000);

    const statsBefore = riffRpc ? await riffRpc.call<ClientStats>('riffbox/getStats') : null;
    const endServer = startCpuWindow(server.proc.pid);
    const endClient = startCpuWindow(clientPid);
    const endThreads = startThreadCpuWindow(clientPid);
    const instructions = perfInstructions(clientPid, MEASURE_S);
    await sleep(MEASURE_S * 1000);
    const serverCpu = endServer();
    const clientCpu = endClient();
    const threads = endThreads();
    const pluginCpu = pluginThreadsCpu(threads);
    const statsAfter = riffRpc ? await riffRpc.call<ClientStats>('riffbox/getStats') : null;
    if (statsAfter && statsAfter.state !== 'connected') throw new Error(`riffbox client not connected at the end: ${JSON.stringify(statsAfter)}`);
    const count = await instructions;
    if (!server.proc.running) throw new Error(`server exited\n${server.proc.tail()}`);
    return {
      box,
      n,
      load1,
      server: serverCpu,
      client: clientCpu,
      pluginCpu,
      clientThreads: threads
        .filter((t) => t.ratio >= 0.002)
        .map((t) => `${t.name} ${(t.ratio * 100).toFixed(1)}%`)
        .join(', '),
      instructionsPerPeriod: count === null ? null : count / (MEASURE_S * PERIODS_PER_S),
      delayMs: statsAfter?.overallDelayMs ?? null,
      xruns: statsBefore && statsAfter ? statsAfter.device.xruns - statsBefore.device.xruns : null,
    };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${group.describe(10)}`);
  } finally {
    await group.stopAll();
  }
}

const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;

async function main(): Promise<void> {
  console.log(`box-bench: ${FRAMES}-sample frames, local client mono normal (riffbox's on ALSA PCM ${PCM}), N synthetic remote musicians (OPUS mono normal); ${WARMUP_S} s warm-up, ${MEASURE_S} s measured; load average ${loadAverage().join(' ')}`);
  for (const n of NS) {
    const runs: Partial<Record<Box, BoxRun>> = {};
    for (const box of ['riffbox', 'jamulus'] as const) {
      try {
        runs[box] = await runBox(box, n);
      } catch (e) {
        console.log(`${box} N=${n} FAILED: ${(e as Error).message}`);
      }
    }
    for (const r of Object.values(runs)) {
      const ipp = r.instructionsPerPeriod === null ? 'n/a (no instruction counter here)' : `${Math.round(r.instructionsPerPeriod)}`;
      console.log(
        `${r.box.padEnd(7)} ${n + 1} musicians: server ${pct(r.server.ratio)}, local client ${pct(r.client.ratio)}` +
          (r.box === 'riffbox' ? ` (${pct(r.client.ratio - r.pluginCpu)} without the jack plugin's threads)` : '') +
          `, box ${pct(r.server.ratio + r.client.ratio)}; client instructions per period ${ipp}; load1 ${r.load1}`,
      );
      console.log(`        client threads: ${r.clientThreads}`);
      if (r.box === 'riffbox') console.log(`        riffbox client: overall delay ${r.delayMs} ms, xruns ${r.xruns} in ${MEASURE_S} s`);
    }
    const a = runs.riffbox;
    const b = runs.jamulus;
    if (a && b) {
      const without = (a.server.ratio + a.client.ratio - a.pluginCpu) / (b.server.ratio + b.client.ratio);
      console.log(`musicians=${n + 1} box_cpu_ratio=${((a.server.ratio + a.client.ratio) / (b.server.ratio + b.client.ratio)).toFixed(3)} (without the jack plugin's threads ${without.toFixed(3)})`);
    } else {
      console.log(`musicians=${n + 1} box_cpu_ratio=n/a`);
    }
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error((e as Error).stack ?? String(e));
    process.exit(1);
  },
);
