// The peers of the network tests, each started inside its namespace by PID through a ProcessGroup: the
// riffbox server, the real Jamulus 3.9.1 directory and clients, and the small UDP scripts. jackd runs in
// the test's own namespace: JACK talks over files in /dev/shm, which every namespace shares.
import { createServer, connect as netConnect, type Server } from 'node:net';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { ProcessGroup, ManagedProcess } from '../harness/processes.js';
import { randomSecret } from '../harness/ports.js';
import { connect as rpcConnect, type JsonRpcClient } from '../harness/jsonrpc-client.js';
import { listPorts, realtimeAllowed, type Jack } from '../harness/jack.js';
import { clientIni } from '../harness/jamulus.js';
import { ADDR, type HomeNetwork, type Role } from './netns.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');
export const RIFFBOX_CLI = join(repoRoot, 'dist', 'appliance', 'src', 'cli.js');
const script = (name: string): string => join(here, `${name}.js`);

/** What Jamulus's own clients and servers get as SCHED_FIFO priority in the harness. */
const RT = realtimeAllowed() && process.env.RIFFBOX_JAMULUS_REALTIME !== '0';
function maybeRt(cmd: string, args: string[]): [string, string[]] {
  return RT ? ['chrt', ['-f', '60', cmd, ...args]] : [cmd, args];
}

/**
 * A JSON-RPC connection to 127.0.0.1:port inside a namespace: a relay in the namespace serves a Unix
 * socket, and a loopback TCP listener here forwards to it (the clients speak TCP only).
 */
export async function nsRpc(group: ProcessGroup, net: HomeNetwork, role: Role, port: number, secret: string): Promise<JsonRpcClient> {
  const local = await nsTcpBridge(group, net, role, port);
  // The program may still be opening its port: retry the connection for a while.
  const deadline = Date.now() + 10000;
  for (;;) {
    try {
      const client = await rpcConnect(local, secret, 3000);
      group.onCleanup(() => client.close());
      return client;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** A loopback TCP port here that reaches 127.0.0.1:port inside namespace `role` (JSON-RPC, the admin's HTTP). */
export async function nsTcpBridge(group: ProcessGroup, net: HomeNetwork, role: Role, port: number): Promise<number> {
  const sock = group.path(`tcp-${role}-${port}.sock`);
  const relay = group.spawn(`relay-${role}`, ...net.command(role, process.execPath, [script('ns-relay'), sock, String(port)]));
  await relay.waitForLine(/^relay /, 10000);
  const bridge: Server = createServer((c) => {
    const u = netConnect({ path: sock });
    c.pipe(u);
    u.pipe(c);
    const end = (): void => {
      c.destroy();
      u.destroy();
    };
    c.on('error', end);
    u.on('error', end);
    c.on('close', end);
    u.on('close', end);
  });
  await new Promise<void>((r) => bridge.listen(0, '127.0.0.1', () => r()));
  group.onCleanup(() => new Promise<void>((r) => bridge.close(() => r())));
  const addr = bridge.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

// ---- riffbox server in the home LAN ----

export interface RiffboxServer {
  process: ManagedProcess;
  db: string;
  secretFile: string;
  rpc: JsonRpcClient;
  stop(): Promise<void>;
}

export interface RiffboxServerOptions {
  /** Settings database (created by the test through SettingsStore). */
  db: string;
  args?: string[];
  /** RIFFBOX_REGISTRATION_TIMINGS for the run. */
  timings?: string;
  /** RIFFBOX_PORTMAP_TIMINGS for the run. */
  mapperTimings?: string;
  jsonrpcPort?: number;
}

export async function startRiffbox(group: ProcessGroup, net: HomeNetwork, o: RiffboxServerOptions): Promise<RiffboxServer> {
  const secret = randomSecret();
  const secretFile = group.path(`riffbox-${Date.now()}.secret`);
  writeFileSync(secretFile, secret + '\n', { mode: 0o600 });
  const rpcPort = o.jsonrpcPort ?? 22130;
  const args = [RIFFBOX_CLI, 'server', '--db', o.db, '--jsonrpc-secret-file', secretFile, '--jsonrpc-port', String(rpcPort), ...(o.args ?? [])];
  const proc = group.spawn('riffbox-server', ...net.command('home', process.execPath, args), {
    env: { RIFFBOX_REGISTRATION_TIMINGS: o.timings, RIFFBOX_PORTMAP_TIMINGS: o.mapperTimings },
  });
  await proc.waitForLine(/riffbox server listening on udp\/\d+/, 15000);
  const rpc = await nsRpc(group, net, 'home', rpcPort, secret);
  return {
    process: proc,
    db: o.db,
    secretFile,
    rpc,
    stop: async () => {
      rpc.close();
      await proc.stop();
    },
  };
}

// ---- the admin page in the home LAN ----

export interface NsAdmin {
  process: ManagedProcess;
  /** http://127.0.0.1:PORT here, bridged to the admin inside the namespace. */
  base: string;
}

/** The admin (checkout mode: its root helper writes under the test's directory) beside the server. */
export async function startNsAdmin(group: ProcessGroup, net: HomeNetwork, server: RiffboxServer, port = 8080): Promise<NsAdmin> {
  const args = [RIFFBOX_CLI, 'admin', '--db', server.db, '--jsonrpc-secret-file', server.secretFile, '--port', String(port), '--bind', '127.0.0.1'];
  const proc = group.spawn('riffbox-admin', ...net.command('home', process.execPath, args), { env: { RIFFBOX_ROOT: group.path('root') } });
  await proc.waitForLine(/riffbox admin listening on http:/, 20000);
  const local = await nsTcpBridge(group, net, 'home', port);
  return { process: proc, base: `http://127.0.0.1:${local}` };
}

// ---- the Jamulus directory on the "Internet" ----

export interface Directory {
  process: ManagedProcess;
  address: string;
  stop(): Promise<void>;
}

export async function startDirectory(group: ProcessGroup, net: HomeNetwork, extraArgs: string[] = []): Promise<Directory> {
  const args = ['-s', '-n', '-p', '22124', '-e', 'localhost', '-o', 'Net Directory;Internet;82', ...extraArgs];
  const proc = group.spawn('jamulus-directory', ...net.command('inet', ...maybeRt('/usr/bin/Jamulus', args)));
  await net.waitUdpBound('inet', 22124, 10000, () => proc.running);
  return { process: proc, address: `${ADDR.directory}:22124`, stop: () => proc.stop().then(() => undefined) };
}

// ---- directory list queries ----

export interface ListEntry {
  ip: string;
  port: number;
  country: number;
  maxClients: number;
  permanent: boolean;
  name: string;
  internalAddress: string;
  city: string;
}

export interface ListResult {
  port: number;
  reduced: Array<{ ip: string; port: number; name: string }> | null;
  full: ListEntry[] | null;
}

/** One CLM_REQ_SERVER_LIST round from `role`. */
export async function queryList(group: ProcessGroup, net: HomeNetwork, role: Role, timeoutMs = 4000): Promise<ListResult> {
  const p = group.spawn(`list-${role}`, ...net.command(role, process.execPath, [script('list-query'), '--directory', `${ADDR.directory}:22124`, '--timeout', String(timeoutMs)]));
  const m = await p.waitForLine(/^LIST (.*)$/, timeoutMs + 5000);
  await p.exited;
  return JSON.parse(m[1]!) as ListResult;
}

/** Polls the list from `role` until `pred` holds; returns the list that satisfied it. */
export async function waitForList(group: ProcessGroup, net: HomeNetwork, role: Role, pred: (l: ListEntry[]) => boolean, timeoutMs: number): Promise<ListEntry[]> {
  const deadline = Date.now() + timeoutMs;
  let last: ListEntry[] | null = null;
  for (;;) {
    last = (await queryList(group, net, role, 2000)).full;
    if (last && pred(last)) return last;
    if (Date.now() > deadline) throw new Error(`directory list from ${role} never matched; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

// ---- Jamulus clients ----

export interface NsClient {
  process: ManagedProcess;
  rpc: JsonRpcClient;
  jackClient: string;
  inputs: { left: string; right: string };
  outputs: { left: string; right: string };
  /** The UDP port it sends from. */
  port: number;
  stop(): Promise<void>;
}

export interface NsClientOptions {
  role: Role;
  server: string;
  jack: Jack;
  name: string;
  /** -p base; the client binds base+rand(100) upwards (3.9.1). */
  portBase: number;
  /** Jamulus JSON-RPC port inside the namespace. */
  rpcPort: number;
  timeoutMs?: number;
  /** More Jamulus flags, e.g. ['-6'] to connect over IPv6. */
  extraArgs?: string[];
}

function jamulusJackClients(ports: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const p of ports) {
    const m = /^(.*):output left$/.exec(p);
    if (m && m[1]!.startsWith('Jamulus')) out.add(m[1]!);
  }
  return out;
}

/** A headless Jamulus 3.9.1 client inside a namespace, on its own jackd. Does not wait for a connection. */
export async function startNsClient(group: ProcessGroup, net: HomeNetwork, o: NsClientOptions): Promise<NsClient> {
  const iniPath = group.path(`client-${o.role}-${o.portBase}.ini`);
  writeFileSync(iniPath, clientIni({ server: o.server, jack: o.jack, name: o.name, channels: 'mono', quality: 'normal' }));
  const secret = randomSecret();
  const secretFile = group.path(`client-${o.role}-${o.portBase}.secret`);
  writeFileSync(secretFile, secret + '\n', { mode: 0o600 });
  const before = jamulusJackClients(await listPorts(o.jack));
  const before_ports = await net.udpPorts(o.role);
  const args = ['-n', '-j', '-i', iniPath, '-c', o.server, '-p', String(o.portBase), '--jsonrpcport', String(o.rpcPort), '--jsonrpcsecretfile', secretFile, ...(o.extraArgs ?? [])];
  const proc = group.spawn(`jamulus-client-${o.role}`, ...net.command(o.role, ...maybeRt('/usr/bin/Jamulus', args)), { env: o.jack.env });
  const deadline = Date.now() + (o.timeoutMs ?? 15000);
  let jackClient: string | undefined;
  while (!jackClient) {
    const now = jamulusJackClients(await listPorts(o.jack).catch(() => []));
    jackClient = [...now].find((c) => !before.has(c));
    if (jackClient) break;
    if (!proc.running) throw new Error(`Jamulus client in ${o.role} exited\n${proc.tail()}`);
    if (Date.now() > deadline) throw new Error(`Jamulus client in ${o.role}: no JACK ports\n${proc.tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const bound = [...(await net.udpPorts(o.role))].filter((p) => !before_ports.has(p) && p >= o.portBase && p < o.portBase + 200);
  const rpc = await nsRpc(group, net, o.role, o.rpcPort, secret);
  return {
    process: proc,
    rpc,
    jackClient,
    inputs: { left: `${jackClient}:input left`, right: `${jackClient}:input right` },
    outputs: { left: `${jackClient}:output left`, right: `${jackClient}:output right` },
    port: bound[0] ?? 0,
    stop: async () => {
      rpc.close();
      await proc.stop();
    },
  };
}

/** Polls jamulusclient/getClientInfo; true once connected, false if `ms` pass first. */
export async function connectedWithin(c: NsClient, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const info = await c.rpc.call<{ connected: boolean }>('jamulusclient/getClientInfo');
    if (info.connected) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts list-query in hold mode in `role`; resolves once it has the list and freed its port. */
export async function listAndHold(group: ProcessGroup, net: HomeNetwork, role: Role, base: number): Promise<{ list: ListResult; process: ManagedProcess }> {
  const p = group.spawn(`list-hold-${role}`, ...net.command(role, process.execPath, [script('list-query'), '--directory', `${ADDR.directory}:22124`, '--hold-base', String(base), '--timeout', '4000']));
  const m = await p.waitForLine(/^LIST (.*)$/, 10000);
  await p.waitForLine(/^RELEASED /, 5000);
  return { list: JSON.parse(m[1]!) as ListResult, process: p };
}

export function fillDirectory(group: ProcessGroup, net: HomeNetwork, count: number): Promise<Record<string, number>> {
  const p = group.spawn('fill-directory', ...net.command('inet', process.execPath, [script('fill-directory'), '--directory', `127.0.0.1:22124`, '--count', String(count)]));
  return p.waitForLine(/^FILLED (.*)$/, 15000).then((m) => JSON.parse(m[1]!) as Record<string, number>);
}
