// CPU of the riffbox client against Debian's Jamulus headless client, each connected to the same Debian
// Jamulus server with the same frame size (128), quality (normal) and channels (mono), each playing a
// sine from its own dummy jackd (riffbox through ALSA's jack plugin, Jamulus through JACK directly).
// Both jackd servers run at the measured frame size, as each client's own audio server would; until
// 2026-11-29 riffbox's ran at 64 for 128-sample periods, which woke the plugin's threads twice per
// period, cost ≈ 2.3 % of a core more and caused xruns (--riff-jack-frames 64 reproduces that).
// CPU = utime+stime of the client process from /proc/PID/stat over a measured window, per wall second (proc-stats.ts).
// Both clients run at once and are measured over the same windows (--rounds, each --seconds long); the figure
// is the median of the windows' ratios.
// Run: npm run bench:client   (options: --seconds N, --rounds N, --frames 64|128, --riff-jack-frames 64|128, --manual-jitter, --pcm plug|raw)
// Last line: client_cpu_ratio=X (riffbox ÷ Jamulus, median; target ≤ 1.0).
import { ProcessGroup } from '../harness/processes.js';
import { playSine, startJackd } from '../harness/jack.js';
import { startJamulusClient, startJamulusServer } from '../harness/jamulus.js';
import { benchPcm, pluginThreadsCpu, startRiffboxClient, writeAsoundrc, sleep } from '../interop/client-rig.js';
import { busyThreads, loadAverage, median, startCpuWindow, startThreadCpuWindow, windowList, type ThreadWindow } from './proc-stats.js';
import type { ClientStats } from '../../appliance/src/client/client-options.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const SECONDS = arg('seconds', 10);
const ROUNDS = arg('rounds', 3);
const FRAMES = arg('frames', 128) === 64 ? 64 : 128;
/** --manual-jitter: fixed jitter buffers (both clients' default is auto). */
const MANUAL_JITTER = process.argv.includes('--manual-jitter');
const PCM = benchPcm(process.argv);

/** The busy threads as `name#tid x%`, the main thread as `main`. */
function threadReport(pid: number, threads: readonly ThreadWindow[]): string {
  return busyThreads(threads, (t) => (t.tid === pid ? 'main' : `${t.name}#${t.tid}`));
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
    console.log(`frames ${FRAMES}, quality normal, mono, jitter ${MANUAL_JITTER ? 'manual 6' : 'auto'}, jackd periods: riffbox ${jackRiff.frames} (ALSA PCM ${PCM}), jamulus ${jackJam.frames}; same Debian Jamulus 3.9.1 server; ${ROUNDS} windows of ${SECONDS} s`);
    const ratios: number[] = [];
    const ratiosWithout: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const end = { riffbox: startCpuWindow(pids.riffbox), jamulus: startCpuWindow(pids.jamulus) };
      const endThreads = { riffbox: startThreadCpuWindow(pids.riffbox), jamulus: startThreadCpuWindow(pids.jamulus) };
      const statsBefore = await riff.rpc.call<ClientStats>('riffbox/getStats');
      await sleep(SECONDS * 1000);
      const riffWindow = end.riffbox();
      const riffCpu = riffWindow.ratio;
      const jamCpu = end.jamulus().ratio;
      const threads = { riffbox: endThreads.riffbox(), jamulus: endThreads.jamulus() };
      const s = await riff.rpc.call<ClientStats>('riffbox/getStats');
      if (s.state !== 'connected') throw new Error(`riffbox client not connected at the end: ${JSON.stringify(s)}`);
      // The jack plugin's threads: on the box, a USB interface is opened as hw: and has none.
      const plugin = pluginThreadsCpu(threads.riffbox);
      ratios.push(riffCpu / jamCpu);
      ratiosWithout.push((riffCpu - plugin) / jamCpu);

      console.log(`window ${round}/${ROUNDS} (${riffWindow.wallS.toFixed(1)} s, load average ${loadAverage().join(' ')}):`);
      console.log(`  riffbox client: ${(riffCpu * 100).toFixed(2)} % of a core; without the ALSA jack plugin's threads ${((riffCpu - plugin) * 100).toFixed(2)} % (plugin ${(plugin * 100).toFixed(2)} %)`);
      console.log(`  jamulus client: ${(jamCpu * 100).toFixed(2)} % of a core`);
      console.log(
        `  riffbox during the window: packets out ${s.audioPacketsOut - statsBefore.audioPacketsOut}, in ${s.audioPacketsIn - statsBefore.audioPacketsIn}, ` +
          `xruns ${s.device.xruns - statsBefore.device.xruns}, capture overruns ${s.device.captureOverruns - statsBefore.device.captureOverruns}, ` +
          `playback underruns ${s.device.playbackUnderruns - statsBefore.device.playbackUnderruns}, overall delay ${s.overallDelayMs} ms`,
      );
      console.log(`  riffbox threads: ${threadReport(pids.riffbox, threads.riffbox)}`);
      console.log(`  jamulus threads: ${threadReport(pids.jamulus, threads.jamulus)}`);
      console.log(`  ratio ${ratios.at(-1)!.toFixed(3)}, without the plugin's threads ${ratiosWithout.at(-1)!.toFixed(3)}`);
    }
    console.log(`riffbox without the ALSA jack plugin's threads: ratio ${median(ratiosWithout).toFixed(3)} (median of ${windowList(ratiosWithout)})`);
    console.log(`client_cpu_ratio=${median(ratios).toFixed(3)} (median of ${windowList(ratios)})`);
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
