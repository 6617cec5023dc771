// The riffbox client as the interop tests run it: its own process (`riffbox client`), a settings
// database and JSON-RPC secret in the group's directory, and an ALSA device that is libasound2-plugins'
// `jack` PCM (under `plug`, since it only speaks float) into a private `jackd -d dummy`, selected
// through a per-test ALSA_CONFIG_PATH. Sound goes in and out through the jack plugin's own ports.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ProcessGroup, ManagedProcess } from '../harness/processes.js';
import { listPorts, realtimeAllowed, type Jack } from '../harness/jack.js';
import { freeTcpPort, randomSecret } from '../harness/ports.js';
import { connect as rpcConnect, type JsonRpcClient } from '../harness/jsonrpc-client.js';
import { SettingsStore } from '../../appliance/src/settings/store.js';
import type { SettingsPatch } from '../../appliance/src/settings/schema.js';
import type { ToneCriteria } from '../harness/listening.js';

export const TEST_PCM = 'riffboxtest';
/** The jack plugin's own PCM (float samples only), which TEST_PCM wraps in `plug`. */
export const RAW_PCM = 'riffboxtest_raw';
/**
 * The PCM a bench's riffbox client opens: `--pcm plug` (the default) is TEST_PCM, as the interop tests run it;
 * `--pcm raw` is the jack plugin's own PCM in float, without plug's conversion layer, closer to how a box opens
 * its USB interface on hw:.
 */
export function benchPcm(argv: readonly string[]): string {
  const i = argv.indexOf('--pcm');
  const which = i >= 0 ? argv[i + 1] : 'plug';
  if (which !== 'raw' && which !== 'plug') throw new Error(`--pcm must be raw or plug, not ${which}`);
  return which === 'raw' ? RAW_PCM : TEST_PCM;
}

/**
 * The name the addon gives the jack plugin's JACK client threads while it opens a PCM (alsa_device.cc,
 * OpenDevice): they exist only because these machines reach JACK through ALSA.
 */
export const ALSA_PLUGIN_THREAD = 'alsa-plugin';

/** CPU per wall second of those threads, from a thread CPU window (bench/proc-stats.ts). */
export function pluginThreadsCpu(threads: ReadonlyArray<{ name: string; ratio: number }>): number {
  return threads.filter((t) => t.name === ALSA_PLUGIN_THREAD).reduce((a, t) => a + t.ratio, 0);
}

/** Same as the Jamulus peers (harness/jamulus.ts): below jackd (70) and the ALSA thread (70). */
const CLIENT_RT_PRIORITY = 60;
/**
 * What riffbox's playback through the ALSA jack plugin must show: the tone within 5 Hz and no silent
 * 20 ms window. Clicks are reported, not judged: the plugin's own period handoff adds them (issue 4's xrun work).
 */
export const PLAYBACK_CRITERIA: ToneCriteria = { toleranceHz: 5, minToneRatioDb: null, dropoutRelativeDb: null, maxGlitchWindowsPer10s: null };
export const CLI = fileURLToPath(new URL('../../appliance/src/cli.js', import.meta.url));

/** An ALSA configuration that adds the test PCM to the system's (ALSA_CONFIG_PATH replaces it). */
export function writeAsoundrc(group: ProcessGroup): string {
  const path = group.path('asoundrc');
  writeFileSync(
    path,
    `</usr/share/alsa/alsa.conf>
pcm.${RAW_PCM} {
  type jack
  playback_ports { 0 system:playback_1 1 system:playback_2 }
  capture_ports { 0 system:capture_1 1 system:capture_2 }
}
pcm.${TEST_PCM} {
  type plug
  slave { pcm "${RAW_PCM}" }
}
`,
  );
  return path;
}

/** Where the client process runs: by default here, with JSON-RPC on loopback TCP. */
export interface ClientPlace {
  /** The command line to spawn for `cmd args` (e.g. inside a network namespace). */
  wrap(cmd: string, args: string[]): [string, string[]];
  /** A JSON-RPC connection to the client's `port` (closed with the group). */
  connectRpc(port: number, secret: string): Promise<JsonRpcClient>;
}

const HERE: ClientPlace = {
  wrap: (cmd, args) => [cmd, args],
  connectRpc: (port, secret) => rpcConnect(port, secret, 10000),
};

export interface RiffboxClientOptions {
  server: string;
  /** The jackd behind the client's ALSA device. */
  jack: Jack;
  asoundrc: string;
  frames: 64 | 128;
  name: string;
  channels?: 'mono' | 'mono-stereo' | 'stereo';
  /** Stored settings other than the flags (e.g. client.hearOwnSignal). */
  settings?: SettingsPatch;
  device?: string;
  place?: ClientPlace;
}

export interface RiffboxClient {
  process: ManagedProcess;
  rpc: JsonRpcClient;
  jack: Jack;
  db: string;
  /** Opens another JSON-RPC connection to the client (closed with the group). */
  connectRpc(): Promise<JsonRpcClient>;
  /** The jack plugin's ports of the newest device opening: capture (sound in) and playback (sound out). */
  ports(): Promise<{ capture: string[]; playback: string[] }>;
}

export async function startRiffboxClient(group: ProcessGroup, o: RiffboxClientOptions): Promise<RiffboxClient> {
  const db = group.path(`client-${o.name}.db`);
  const store = SettingsStore.open(db);
  try {
    if (o.settings) store.update(o.settings);
  } finally {
    store.close();
  }
  const rpcPort = await freeTcpPort();
  const secret = randomSecret();
  const secretFile = group.path(`client-${o.name}.secret`);
  writeFileSync(secretFile, secret + '\n', { mode: 0o600 });
  const args = [
    CLI, 'client', '--db', db, '--server', o.server, '--device', o.device ?? TEST_PCM, '--frames', String(o.frames), '--name', o.name,
    '--channels', o.channels ?? 'mono', '--jsonrpc-port', String(rpcPort), '--jsonrpc-secret-file', secretFile,
  ];
  // Under SCHED_FIFO where allowed, as the harness runs the Jamulus peers: on two shared cores a
  // normal-priority JS thread is starved for tens of ms at a time (load average > 10 measured here).
  const rt = process.env.RIFFBOX_CLIENT_REALTIME !== '0' && realtimeAllowed();
  const place = o.place ?? HERE;
  const line: [string, string[]] = rt ? ['chrt', ['-f', String(CLIENT_RT_PRIORITY), process.execPath, ...args]] : [process.execPath, args];
  const [cmd, cmdArgs] = place.wrap(...line);
  const proc = group.spawn(`riffbox-client-${o.frames}`, cmd, cmdArgs, { env: { ...o.jack.env, ALSA_CONFIG_PATH: o.asoundrc } });
  await proc.waitForLine(/^riffbox client connected to /, 20000, 'stdout');
  let rpc: JsonRpcClient;
  try {
    rpc = await place.connectRpc(rpcPort, secret);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${proc.tail()}`);
  }
  group.onCleanup(() => rpc.close());
  return {
    process: proc,
    rpc,
    jack: o.jack,
    db,
    connectRpc: async () => {
      const c = await place.connectRpc(rpcPort, secret);
      group.onCleanup(() => c.close());
      return c;
    },
    ports: async () => {
      const all = await listPorts(o.jack);
      const newest = (kind: 'C' | 'P'): string[] => {
        const prefix = `node.${kind}.${proc.pid}.`;
        const mine = all.filter((p) => p.startsWith(prefix));
        const instance = Math.max(-1, ...mine.map((p) => Number(p.slice(prefix.length).split(':')[0])));
        return mine.filter((p) => p.startsWith(`${prefix}${instance}:`)).sort();
      };
      return { capture: newest('C'), playback: newest('P') };
    },
  };
}

/** Polls `fn` until it returns a value other than undefined. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, context: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${context()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
