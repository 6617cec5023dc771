// Debian's real Jamulus 3.9.1 (/usr/bin/Jamulus) in its headless roles — server, directory and
// client — as reference peers for interop tests. Every role gets its own free ports; JSON-RPC
// (when on) gets a free TCP port and a fresh secret file in the group's directory.
//
// The headless client takes its profile and audio settings only from an XML ini file (--inifile):
// section <client>, keys name_base64, audiochannels, audioquality, enableopussmall, autojitbuf …
// (Jamulus src/settings.cpp). Its frame size is the JACK period: the JACK backend cannot choose.
// See test/harness/README.md for what each configuration was verified to send on the wire.
import { writeFileSync } from 'node:fs';
import { ProcessGroup, ManagedProcess } from './processes.js';
import { freeTcpPort, freeUdpPort, randomSecret, waitForUdpBound } from './ports.js';
import { Jack, listPorts } from './jack.js';
import { realtimeAllowed, keepThreadsRealtime } from './realtime.js';
import { connect as rpcConnect, JsonRpcClient } from './jsonrpc-client.js';

export const JAMULUS_BIN = '/usr/bin/Jamulus';

/** SCHED_FIFO priority for Jamulus processes: below jackd (70) and its clients' process threads. */
const JAMULUS_RT_PRIORITY = 60;

/**
 * Default: on where SCHED_FIFO is allowed, unless RIFFBOX_JAMULUS_REALTIME=0. All threads,
 * including Qt's socket and timer threads (see keepThreadsRealtime): the client's JACK callback
 * shares locks with its socket thread, and the server's mix runs on its timer thread.
 */
function useRealtime(explicit: boolean | undefined): boolean {
  return explicit ?? (process.env.RIFFBOX_JAMULUS_REALTIME !== '0' && realtimeAllowed());
}

/** The command line, run under `chrt -f` when real-time scheduling is wanted. */
function command(args: string[], realtime: boolean): [string, string[]] {
  return realtime ? ['chrt', ['-f', String(JAMULUS_RT_PRIORITY), JAMULUS_BIN, ...args]] : [JAMULUS_BIN, args];
}

export interface JsonRpcAccess {
  port: number;
  secret: string;
  secretFile: string;
  /** Authenticated connection opened by the harness (closed by stop() / group.stopAll()). */
  client: JsonRpcClient;
}

async function setUpJsonRpc(group: ProcessGroup, label: string): Promise<{ args: string[]; port: number; secret: string; secretFile: string }> {
  const port = await freeTcpPort();
  const secret = randomSecret();
  const secretFile = group.path(`${label}-${port}.secret`);
  writeFileSync(secretFile, secret + '\n', { mode: 0o600 });
  return { args: ['--jsonrpcport', String(port), '--jsonrpcsecretfile', secretFile], port, secret, secretFile };
}

async function openRpc(group: ProcessGroup, proc: ManagedProcess, rpc: { port: number; secret: string; secretFile: string }): Promise<JsonRpcAccess> {
  let client: JsonRpcClient;
  try {
    client = await rpcConnect(rpc.port, rpc.secret, 10000);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${proc.tail()}`);
  }
  group.onCleanup(() => client.close());
  return { ...rpc, client };
}

// ---------------------------------------------------------------------------------------------
// Server and directory

export interface JamulusServerOptions {
  /** UDP port; default: a free one. */
  port?: number;
  /** -F: 64-sample ticks instead of 128. */
  fastUpdate?: boolean;
  /** -u: channel slots (Jamulus default 10). */
  maxClients?: number;
  /** -w: welcome message (text or HTML; Jamulus treats an existing file name as a file). */
  welcome?: string;
  /** -o: "name;city;country" registration info. */
  serverInfo?: string;
  /** -e: directory to register with ("host:port"), or "localhost" to be a directory. */
  directory?: string;
  /** --serverbindip (default: Jamulus binds all interfaces). */
  bindIp?: string;
  /** -d: send CLM_DISCONNECTION to all clients on quit. */
  disconnectOnQuit?: boolean;
  jsonrpc?: boolean;
  /** Run under SCHED_FIFO (chrt -f 60). */
  realtime?: boolean;
  /** Anything else, appended as is. */
  extraArgs?: string[];
}

export interface JamulusServer {
  process: ManagedProcess;
  port: number;
  /** "127.0.0.1:port", what clients connect to. */
  address: string;
  fastUpdate: boolean;
  rpc?: JsonRpcAccess;
  /** Stops this process only (the group stops it anyway). */
  stop(): Promise<void>;
}

export async function startJamulusServer(group: ProcessGroup, opts: JamulusServerOptions = {}): Promise<JamulusServer> {
  const port = opts.port ?? (await freeUdpPort());
  const args = ['-s', '-n', '-p', String(port)];
  if (opts.fastUpdate) args.push('-F');
  if (opts.maxClients !== undefined) args.push('-u', String(opts.maxClients));
  if (opts.welcome !== undefined) args.push('-w', opts.welcome);
  if (opts.serverInfo !== undefined) args.push('-o', opts.serverInfo);
  if (opts.directory !== undefined) args.push('-e', opts.directory);
  if (opts.bindIp !== undefined) args.push('--serverbindip', opts.bindIp);
  if (opts.disconnectOnQuit) args.push('-d');
  const rpc = opts.jsonrpc ? await setUpJsonRpc(group, 'server') : null;
  if (rpc) args.push(...rpc.args);
  args.push(...(opts.extraArgs ?? []));
  const realtime = useRealtime(opts.realtime);
  const proc = group.spawn(opts.directory === 'localhost' ? 'jamulus-directory' : 'jamulus-server', ...command(args, realtime));
  if (realtime) keepThreadsRealtime(proc, JAMULUS_RT_PRIORITY);
  try {
    await waitForUdpBound(port, 10000, () => proc.running);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${proc.tail()}`);
  }
  const server: JamulusServer = {
    process: proc,
    port,
    address: `127.0.0.1:${port}`,
    fastUpdate: opts.fastUpdate ?? false,
    stop: async () => {
      server.rpc?.client.close();
      await proc.stop();
    },
  };
  if (rpc) server.rpc = await openRpc(group, proc, rpc);
  return server;
}

/** A Jamulus server that hosts a server list (-e localhost). */
export function startJamulusDirectory(group: ProcessGroup, opts: Omit<JamulusServerOptions, 'directory'> = {}): Promise<JamulusServer> {
  return startJamulusServer(group, { ...opts, directory: 'localhost' });
}

// ---------------------------------------------------------------------------------------------
// Client

export type Quality = 'low' | 'normal' | 'high';
export type Channels = 'mono' | 'mono-stereo' | 'stereo';

const QUALITY_CODE: Record<Quality, number> = { low: 0, normal: 1, high: 2 };
const CHANNELS_CODE: Record<Channels, number> = { mono: 0, 'mono-stereo': 1, stereo: 2 };

export interface JamulusClientOptions {
  /** "host:port" of the server. */
  server: string;
  /** The client's own jackd; its period is the client's frame size. */
  jack: Jack;
  /** Must equal jack.frames; stated so a test reads as what it checks. */
  frames?: 64 | 128;
  /** Musician name (ini name_base64). Default "No Name", as Jamulus. */
  name?: string;
  /** Default 'normal'. */
  quality?: Quality;
  /** Default 'mono'. */
  channels?: Channels;
  /**
   * "Small network buffers" (ini enableopussmall): with a 64-sample period the client then uses
   * OPUS64; without it, OPUS (128) through a conversion buffer. Default: frames === 64.
   */
  smallNetworkBuffers?: boolean;
  /** Jitter buffer: 'auto' (default) or a fixed 1…20 blocks for client and server side. */
  jitterBuffer?: 'auto' | number;
  /** Instrument id, country id (QLocale), city, skill 0…3 — the other profile fields. */
  instrument?: number;
  country?: number;
  city?: string;
  skill?: 0 | 1 | 2 | 3;
  /** Default true. */
  jsonrpc?: boolean;
  /** --mutemyown: the server leaves this client out of its own mix. */
  muteMyOwn?: boolean;
  /** -M: others do not hear this client. */
  muteStream?: boolean;
  /** UDP port the client sends from (-p); default: a free one. */
  port?: number;
  /** --clientname: JACK client becomes "Jamulus <clientName>". */
  clientName?: string;
  /** Wait until the client reports being connected (needs JSON-RPC). Default true. */
  waitConnected?: boolean;
  /** Run under SCHED_FIFO (chrt -f 60). */
  realtime?: boolean;
  timeoutMs?: number;
  extraArgs?: string[];
}

export interface JackPortPair {
  left: string;
  right: string;
}

export interface JamulusClient {
  process: ManagedProcess;
  jack: Jack;
  /** Local UDP port (source port of its audio). */
  port: number;
  name: string;
  iniPath: string;
  /** JACK client name ("Jamulus", or "Jamulus <clientName>", uniquified by JACK if taken). */
  jackClient: string;
  /** Where to feed sound in (JACK input ports of the client). */
  inputs: JackPortPair;
  /** Where the server's mix comes out (JACK output ports of the client). */
  outputs: JackPortPair;
  rpc?: JsonRpcAccess;
  stop(): Promise<void>;
}

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/** The client ini (Jamulus XML settings) for these options. */
export function clientIni(opts: JamulusClientOptions): string {
  const frames = opts.frames ?? opts.jack.frames;
  const keys: Array<[string, string | number]> = [
    ['name_base64', b64(opts.name ?? 'No Name')],
    ['audiochannels', CHANNELS_CODE[opts.channels ?? 'mono']],
    ['audioquality', QUALITY_CODE[opts.quality ?? 'normal']],
    ['enableopussmall', (opts.smallNetworkBuffers ?? frames === 64) ? 1 : 0],
    ['autojitbuf', opts.jitterBuffer === undefined || opts.jitterBuffer === 'auto' ? 1 : 0],
  ];
  if (typeof opts.jitterBuffer === 'number') keys.push(['jitbuf', opts.jitterBuffer], ['jitbufserver', opts.jitterBuffer]);
  if (opts.instrument !== undefined) keys.push(['instrument', opts.instrument]);
  if (opts.country !== undefined) keys.push(['country', opts.country]);
  if (opts.city !== undefined) keys.push(['city_base64', b64(opts.city)]);
  if (opts.skill !== undefined) keys.push(['skill', opts.skill]);
  return `<client>\n${keys.map(([k, v]) => `  <${k}>${v}</${k}>`).join('\n')}\n</client>\n`;
}

function jackClientsWithJamulusPorts(ports: readonly string[]): Set<string> {
  const clients = new Set<string>();
  for (const p of ports) {
    const m = p.match(/^(.*):input left$/);
    if (m && ports.includes(`${m[1]}:input right`) && ports.includes(`${m[1]}:output left`) && ports.includes(`${m[1]}:output right`)) clients.add(m[1]!);
  }
  return clients;
}

export async function startJamulusClient(group: ProcessGroup, opts: JamulusClientOptions): Promise<JamulusClient> {
  const frames = opts.frames ?? opts.jack.frames;
  if (frames !== opts.jack.frames) throw new Error(`startJamulusClient: frames ${frames} but jackd ${opts.jack.name} runs ${opts.jack.frames}-sample periods`);
  const timeoutMs = opts.timeoutMs ?? 15000;
  const deadline = Date.now() + timeoutMs;
  const port = opts.port ?? (await freeUdpPort());
  const name = opts.name ?? 'No Name';
  const iniPath = group.path(`client-${port}.ini`);
  writeFileSync(iniPath, clientIni(opts));
  // -j: the harness wires JACK itself; Jamulus would otherwise also connect system:capture (silence).
  const args = ['-n', '-j', '-i', iniPath, '-c', opts.server, '-p', String(port)];
  if (opts.clientName !== undefined) args.push('--clientname', opts.clientName);
  if (opts.muteMyOwn) args.push('--mutemyown');
  if (opts.muteStream) args.push('-M');
  const useRpc = opts.jsonrpc ?? true;
  const rpc = useRpc ? await setUpJsonRpc(group, 'client') : null;
  if (rpc) args.push(...rpc.args);
  args.push(...(opts.extraArgs ?? []));

  const before = jackClientsWithJamulusPorts(await listPorts(opts.jack));
  const realtime = useRealtime(opts.realtime);
  const proc = group.spawn(`jamulus-client-${frames}`, ...command(args, realtime), { env: opts.jack.env });
  if (realtime) keepThreadsRealtime(proc, JAMULUS_RT_PRIORITY);
  const fail = (why: string): never => {
    throw new Error(`Jamulus client ${name}: ${why}\n${proc.tail()}`);
  };

  let jackClient: string | undefined;
  while (!jackClient) {
    const now = jackClientsWithJamulusPorts(await listPorts(opts.jack).catch(() => []));
    const wanted = opts.clientName !== undefined ? `Jamulus ${opts.clientName}` : 'Jamulus';
    jackClient = [...now].find((c) => !before.has(c) && c.startsWith(wanted));
    if (jackClient) break;
    if (!proc.running) fail('exited before registering its JACK ports');
    if (Date.now() > deadline) fail(`no JACK ports within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const client: JamulusClient = {
    process: proc,
    jack: opts.jack,
    port,
    name,
    iniPath,
    jackClient,
    inputs: { left: `${jackClient}:input left`, right: `${jackClient}:input right` },
    outputs: { left: `${jackClient}:output left`, right: `${jackClient}:output right` },
    stop: async () => {
      client.rpc?.client.close();
      await proc.stop();
    },
  };
  if (rpc) client.rpc = await openRpc(group, proc, rpc);

  if ((opts.waitConnected ?? true) && client.rpc) {
    for (;;) {
      const info = await client.rpc.client.call<{ connected: boolean }>('jamulusclient/getClientInfo');
      if (info.connected) break;
      if (!proc.running) fail('exited before connecting');
      if (Date.now() > deadline) fail(`not connected to ${opts.server} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return client;
}
