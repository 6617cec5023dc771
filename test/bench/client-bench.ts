// CPU of the riffbox client against Debian's Jamulus headless client, each connected to the same Debian
// Jamulus server with the same frame size (128), quality (normal) and channels (mono), each playing a
// sine from its own dummy jackd (riffbox through ALSA's jack plugin, Jamulus through JACK directly).
// Both jackd servers run at the measured frame size, as each client's own audio server would; until
// 2026-11-29 riffbox's ran at 64 for 128-sample periods, which woke the plugin's threads twice per
// period, cost ≈ 2.3 % of a core more and caused xruns (--riff-jack-frames 64 reproduces that).
// CPU = utime+stime of the client process from /proc/PID/stat over a measured window, per wall second.
// Run: npm run bench:client   (options: --seconds N, --frames 64|128, --riff-jack-frames 64|128, --manual-jitter, --pcm plug|raw)
// Last line: client_cpu_ratio=X (riffbox ÷ Jamulus; target ≤ 1.0).
import { ProcessGroup } from '../harness/processes.js';
import { playSine, startJackd } from '../harness/jack.js';
import { startJamulusClient, startJamulusServer } from '../harness/jamulus.js';
import { benchPcm, startRiffboxClient, writeAsoundrc, sleep } from '../interop/client-rig.js';
import { cpuSeconds, threadCpuSeconds } from './proc-stats.js';
import type { ClientStats } from '../../appliance/src/client/client-options.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const SECONDS = arg('seconds', 15);
const FRAMES = arg('frames', 128) === 64 ? 64 : 128;
/** --manual-jitter: fixed jitter buffers (both clients' default is auto). */
const MANUAL_JITTER = process.argv.includes('--manual-jitter');
const PCM = benchPcm(process.argv);

/** Per-thread CPU seconds keyed `name#tid`, to see where a process spends it. */
function threadCpu(pid: number): Map<string, number> {
  return new Map(threadCpuSeconds(pid).map((t) => [`${t.name}#${t.tid}`, t.cpuS]));
}

/** CPU seconds per wall second of the threads whose name starts with `prefix`. */
function threadsCpu(prefix: string, before: Map<string, number>, after: Map<string, number>, wall: number): number {
  let sum = 0;
  for (const [k, v] of after) if (k.startsWith(prefix)) sum += v - (before.get(k) ?? 0);
  return sum / wall;
}

function threadReport(pid: number, before: Map<string, number>, after: Map<string, number>, wall: number): string {
  const rows: [string, number][] = [];
  for (const [k, v] of after) {
    const d = (v - (before.get(k) ?? 0)) / wall;
    if (d >= 0.002) rows.push([k.endsWith(`#${pid}`) ? `main` : k, d]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  return rows.map(([k, d]) => `${k} ${(d * 100).toFixed(1)}%`).join(', ');
}

async function main(): Promise<void> {
  const group = new ProcessGroup('client-bench');
  try {
    const jackRiff = await startJackd(group, { frames: arg('riff-jack-frames', FRAMES) === 64 ? 64 : 128 });
    const jackJam = await startJackd(group, { frames: FRAMES });
    const server = await startJamulusServer(group, { fastUpdate: FRAMES === 64 });
    const jam = await startJamulusClient(group, { server: server.address, jack: jackJam, frames: FRAMES, name: 'JamBench', quality: 'normal', channels: 'mono', jitterBuffer: MANUAL_JITTER ? 6 : 'auto' });
    await playSine(group, jackJam, [jam.inputs.left, jam.inputs.right]);
    const riff = await startRiffboxClient(group, { server: server.address, jack: jackRiff, asoundrc: writeAsoundrc(group), device: PCM, frames: FRAMES, name: 'RiffBench',
      settings: MANUAL_JITTER ? { 'client.jitterAuto': false, 'client.jitterSize': 6 } : undefined });
    await playSine(group, jackRiff, (await riff.ports()).capture);
    // Settle: connection sequence, jitter buffers, JIT warm-up.
    await sleep(3000);

    const pids = { riffbox: riff.process.pid, jamulus: jam.process.pid };
    const start = { riffbox: cpuSeconds(pids.riffbox), jamulus: cpuSeconds(pids.jamulus), t: performance.now() };
    const threadsBefore = { riffbox: threadCpu(pids.riffbox), jamulus: threadCpu(pids.jamulus) };
    const statsBefore = await riff.rpc.call<ClientStats>('riffbox/getStats');
    await sleep(SECONDS * 1000);
    const wall = (performance.now() - start.t) / 1000;
    const riffCpu = (cpuSeconds(pids.riffbox) - start.riffbox) / wall;
    const jamCpu = (cpuSeconds(pids.jamulus) - start.jamulus) / wall;
    const threadsAfter = { riffbox: threadCpu(pids.riffbox), jamulus: threadCpu(pids.jamulus) };
    const s = await riff.rpc.call<ClientStats>('riffbox/getStats');
    if (s.state !== 'connected') throw new Error(`riffbox client not connected at the end: ${JSON.stringify(s)}`);

    console.log(`frames ${FRAMES}, quality normal, mono, jitter ${MANUAL_JITTER ? 'manual 6' : 'auto'}, jackd periods: riffbox ${jackRiff.frames} (ALSA PCM ${PCM}), jamulus ${jackJam.frames}; ${wall.toFixed(1)} s measured, same Debian Jamulus 3.9.1 server`);
    console.log(`riffbox client: ${(riffCpu * 100).toFixed(2)} % of a core (CPU s per wall s ${riffCpu.toFixed(4)})`);
    console.log(`jamulus client: ${(jamCpu * 100).toFixed(2)} % of a core (CPU s per wall s ${jamCpu.toFixed(4)})`);
    console.log(
      `riffbox during the window: packets out ${s.audioPacketsOut - statsBefore.audioPacketsOut}, in ${s.audioPacketsIn - statsBefore.audioPacketsIn}, ` +
        `xruns ${s.device.xruns - statsBefore.device.xruns}, capture overruns ${s.device.captureOverruns - statsBefore.device.captureOverruns}, ` +
        `playback underruns ${s.device.playbackUnderruns - statsBefore.device.playbackUnderruns}, overall delay ${s.overallDelayMs} ms`,
    );
    console.log(`riffbox threads: ${threadReport(pids.riffbox, threadsBefore.riffbox, threadsAfter.riffbox, wall)}`);
    console.log(`jamulus threads: ${threadReport(pids.jamulus, threadsBefore.jamulus, threadsAfter.jamulus, wall)}`);
    // The jack plugin's JACK client threads (named by the addon while it opens the PCM) exist only because
    // these machines reach JACK through ALSA; on the box, a USB interface is opened as hw: directly.
    const plugin = threadsCpu('alsa-plugin#', threadsBefore.riffbox, threadsAfter.riffbox, wall);
    console.log(
      `riffbox without the ALSA jack plugin's threads: ${((riffCpu - plugin) * 100).toFixed(2)} % ` +
        `(plugin ${(plugin * 100).toFixed(2)} %), ratio ${((riffCpu - plugin) / jamCpu).toFixed(3)}`,
    );
    console.log(`client_cpu_ratio=${(riffCpu / jamCpu).toFixed(3)}`);
  } finally {
    await group.stopAll();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error((e as Error).stack ?? String(e));
    process.exit(1);
  },
);
