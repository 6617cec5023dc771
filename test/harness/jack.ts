// JACK for tests: one private `jackd -d dummy` per test peer (unique server name, no device
// reservation, SCHED_FIFO where allowed), and the jackd2 example tools to play a sine, record and
// wire ports. The dummy driver runs on a timer, so audio flows at real-time pace without hardware.
import { readdirSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { ProcessGroup, ManagedProcess, execQuick } from './processes.js';
import { uniqueName } from './ports.js';
import { realtimeAllowed } from './realtime.js';

export { realtimeAllowed };

export interface Jack {
  /** The jackd server name (-n); also JACK_DEFAULT_SERVER in `env`. */
  name: string;
  /** Period in samples at 48 kHz. */
  frames: number;
  /** Environment for every JACK client that must talk to this server. */
  env: Record<string, string>;
  process: ManagedProcess;
}

export interface JackOptions {
  frames?: 64 | 128 | 256;
  /** Defaults to uniqueName('jack'). */
  name?: string;
  timeoutMs?: number;
  /**
   * Run jackd (and, through libjack, its clients' process threads) with SCHED_FIFO priority 70.
   * Default: on when this process may use SCHED_FIFO, unless RIFFBOX_JACK_REALTIME=0. Measured
   * here: with two cores busy compiling, a --no-realtime dummy jackd skipped periods every few
   * hundred ms (a recorded 240 Hz tone was only 16–21 dB above its own glitches); with
   * SCHED_FIFO it was clean (66 dB).
   */
  realtime?: boolean;
}

/** jack_simple_client's tones at 48 kHz: a 200-entry table stepped by 1 (left) and 3 (right). */
export const SINE_LEFT_HZ = 240;
export const SINE_RIGHT_HZ = 720;
/** Peak amplitude of jack_simple_client's sines (0.2 full scale, about −14 dBFS). */
export const SINE_AMPLITUDE = 0.2;

/**
 * The environment a JACK client needs to reach server `name` — and never to auto-start a real
 * jackd on the default server (which the example clients would otherwise try).
 */
export function jackEnv(name: string): Record<string, string> {
  return { JACK_DEFAULT_SERVER: name, JACK_NO_AUDIO_RESERVATION: '1', JACK_NO_START_SERVER: '1' };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function startJackd(group: ProcessGroup, opts: JackOptions = {}): Promise<Jack> {
  const frames = opts.frames ?? 128;
  const name = opts.name ?? uniqueName('jack');
  const env = jackEnv(name);
  const realtime = opts.realtime ?? (process.env.RIFFBOX_JACK_REALTIME !== '0' && realtimeAllowed());
  const rtArgs = realtime ? ['--realtime', '-P', '70'] : ['--no-realtime'];
  const proc = group.spawn(`jackd-${frames}`, 'jackd', [...rtArgs, '-n', name, '-d', 'dummy', '-r', '48000', '-p', String(frames)], {
    env,
    stopLast: true,
  });
  // Semaphores of our uniquely named server: jackd removes them on a clean exit, not after SIGKILL.
  group.onCleanup(() => {
    if (!existsSync('/dev/shm')) return;
    for (const f of readdirSync('/dev/shm')) if (f.startsWith('jack_sem.') && f.includes(`_${name}_`)) rmSync(`/dev/shm/${f}`, { force: true });
  });
  const jack: Jack = { name, frames, env, process: proc };
  const deadline = Date.now() + (opts.timeoutMs ?? 10000);
  for (;;) {
    if (!proc.running) throw new Error(`jackd ${name} exited during start-up\n${proc.tail()}`);
    try {
      const ports = await listPorts(jack);
      if (ports.includes('system:playback_1')) return jack;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`jackd ${name} did not answer jack_lsp in time\n${proc.tail()}`);
    await sleep(100);
  }
}

/** All port names of the server. */
export async function listPorts(jack: Jack): Promise<string[]> {
  const { stdout } = await execQuick('jack_lsp', [], jack.env);
  return stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

/** Port name → ports it is connected to. */
export async function listConnections(jack: Jack): Promise<Map<string, string[]>> {
  const { stdout } = await execQuick('jack_lsp', ['-c'], jack.env);
  const map = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    // jack_lsp -c indents the connections of the port above with spaces.
    if (/^\s/.test(line)) current?.push(line.trim());
    else map.set(line.trim(), (current = []));
  }
  return map;
}

/** Waits until every port in `ports` exists on the server. */
export async function waitForPorts(jack: Jack, ports: readonly string[], timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const have = await listPorts(jack).catch(() => [] as string[]);
    const missing = ports.filter((p) => !have.includes(p));
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new Error(`JACK ${jack.name}: ports never appeared: ${missing.join(', ')}; present: ${have.join(', ')}`);
    await sleep(100);
  }
}

/** Connects two ports; a connection that already exists counts as success. */
export async function connect(jack: Jack, from: string, to: string): Promise<void> {
  try {
    await execQuick('jack_connect', [from, to], jack.env);
  } catch (e) {
    const existing = (await listConnections(jack)).get(from) ?? [];
    if (!existing.includes(to)) throw e;
  }
}

export async function disconnect(jack: Jack, from: string, to: string): Promise<void> {
  await execQuick('jack_disconnect', [from, to], jack.env);
}

export interface SineTargets {
  /** Ports fed with the 240 Hz tone (jack_simple_client output1). */
  left?: readonly string[];
  /** Ports fed with the 720 Hz tone (output2). */
  right?: readonly string[];
}

export interface SinePlayer {
  process: ManagedProcess;
  /** JACK client name; its ports are `${client}:output1` (240 Hz) and `${client}:output2` (720 Hz). */
  client: string;
}

/**
 * Starts jack_simple_client on `jack` and connects its tones. A plain array feeds the 240 Hz
 * tone into every listed port (what a mono test wants: one clear frequency whichever input the
 * peer mixes); `{left, right}` routes 240 Hz and 720 Hz separately (stereo tests).
 * jack_simple_client also connects itself to system:playback_1/2, which is harmless.
 */
export async function playSine(group: ProcessGroup, jack: Jack, connectTo: readonly string[] | SineTargets): Promise<SinePlayer> {
  const client = uniqueName('sine');
  const proc = group.spawn('sine', 'jack_simple_client', [client], { env: jack.env });
  await waitForPorts(jack, [`${client}:output1`, `${client}:output2`]).catch((e: Error) => {
    throw new Error(`${e.message}\n${proc.tail()}`);
  });
  const targets: SineTargets = Array.isArray(connectTo) ? { left: connectTo } : (connectTo as SineTargets);
  for (const p of targets.left ?? []) await connect(jack, `${client}:output1`, p);
  for (const p of targets.right ?? []) await connect(jack, `${client}:output2`, p);
  return { process: proc, client };
}

export interface RecordOptions {
  /** Sample format written by jack_rec (libsndfile WAV, integer PCM). Default 32. */
  bitDepth?: 16 | 32;
}

/**
 * Records `ports` (one WAV channel each, in order) for `seconds` with jack_rec and resolves
 * with `wavPath` once the file is complete. jack_rec starts capturing only after all its
 * connections are made, so the file holds exactly `seconds` × 48000 frames.
 */
export async function record(group: ProcessGroup, jack: Jack, ports: readonly string[], seconds: number, wavPath: string, opts: RecordOptions = {}): Promise<string> {
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error('record: jack_rec takes whole seconds');
  // -B: jack_rec's disk thread is not real-time and writes frame by frame; on busy cores its
  // default 16384-frame ring (0.34 s) can overflow, which silently drops audio from the file.
  const r = await group.run('jack_rec', 'jack_rec', ['-f', wavPath, '-d', String(seconds), '-b', String(opts.bitDepth ?? 32), '-B', String(1 << 18), ...ports], {
    env: jack.env,
    timeoutMs: seconds * 1000 + 15000,
  });
  if (/overruns/.test(r.stderr)) throw new Error(`jack_rec lost audio: ${r.stderr.trim()}`);
  if (!existsSync(wavPath)) throw new Error(`jack_rec finished but wrote no ${wavPath}`);
  return wavPath;
}

/**
 * How often this jackd's timer-driven dummy driver has woken late so far ("JackTimedDriver::Process
 * XRun = N usec" on its stderr). jackd runs at SCHED_FIFO 70 and does nothing else, so a late wake-up
 * means the machine itself stalled: every client of that server lost the period, whatever its code.
 */
export function driverLateWakeups(jack: Jack): number {
  try {
    return (readFileSync(jack.process.stderrPath, 'utf8').match(/JackTimedDriver::Process XRun/g) ?? []).length;
  } catch {
    return 0;
  }
}
