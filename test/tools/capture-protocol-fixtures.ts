// Captures real Jamulus 3.9.1 protocol traffic on loopback and writes one example frame per (message, direction)
// to test/fixtures/protocol/captured-3.9.1.json.
//
//   npx tsc -p tsconfig.json && node dist/test/tools/capture-protocol-fixtures.js [--out FILE]
//
// Starts (unique free ports, unique jackd name, every process stopped by PID at the end): a directory, a
// registering server with a welcome message and licence, jackd (dummy driver) and a headless client with
// JSON-RPC, plus tcpdump on lo. Then it makes the client chat (a long message, so both directions split),
// sends connection-less requests itself, and stops everything. Needs root (tcpdump) and the Debian packages
// jamulus, jackd2 and tcpdump. The decoded values in the output are a draft made with our own decoder: they
// were checked by hand against the bytes before committing (see the "checked" field), so re-running the
// tool resets them to unchecked.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFrame, decodeMessage, messageClass, messageName, parseFrame } from '../../appliance/src/protocol/index.js';
import { annotateFrame, toFixtureJson } from '../fixtures/protocol/load.js';

const root = new URL('../../../', import.meta.url).pathname;
const outArg = process.argv.indexOf('--out');
const outFile = outArg > 0 ? process.argv[outArg + 1]! : join(root, 'test/fixtures/protocol/captured-3.9.1.json');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const children: ChildProcess[] = [];

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d: Buffer): void => {
    log = (log + d.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('exit', (code, sig) => {
    if (code !== 0 && sig === null) console.error(`${cmd} exited with ${code}:\n${log}`);
  });
  (child as ChildProcess & { log: () => string }).log = () => log;
  children.push(child);
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, signal);
  const timer = setTimeout(() => child.pid && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  s.close();
  return port;
}

async function freeTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitFor(what: string, test: () => boolean | Promise<boolean>, ms = 10000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await test()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Line-delimited JSON-RPC 2.0 (the Jamulus API). */
async function jsonRpc(port: number): Promise<{ call(method: string, params?: object): Promise<unknown>; close(): void }> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
  let buf = '';
  let nextId = 1;
  const waiting = new Map<number, (v: unknown) => void>();
  sock.on('data', (d) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const msg = JSON.parse(line) as { id?: number; result?: unknown; error?: unknown };
      if (msg.id !== undefined) waiting.get(msg.id)?.(msg.error ? { error: msg.error } : msg.result);
    }
  });
  return {
    call(method, params = {}) {
      const id = nextId++;
      sock.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
      return new Promise((r) => waiting.set(id, r));
    },
    close: () => sock.destroy(),
  };
}

interface Udp {
  src: string;
  sport: number;
  dst: string;
  dport: number;
  data: Uint8Array;
  t: number;
}

/** Reads a classic pcap file (Ethernet or Linux cooked link type) and returns the unfragmented IPv4 UDP packets. */
function readPcap(file: string): Udp[] {
  const b = readFileSync(file);
  const le = b.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const linkType = u32(20);
  const l2 = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 276 ? 20 : -1;
  if (l2 < 0) throw new Error(`unsupported pcap link type ${linkType}`);
  const out: Udp[] = [];
  for (let o = 24; o + 16 <= b.length; ) {
    const t = u32(o) + u32(o + 4) / 1e6;
    const incl = u32(o + 8);
    const p = b.subarray(o + 16, o + 16 + incl);
    o += 16 + incl;
    const ip = l2;
    if (p.length < ip + 20 || p[ip]! >> 4 !== 4 || p[ip + 9] !== 17) continue;
    const frag = p.readUInt16BE(ip + 6);
    if ((frag & 0x3fff) !== 0) continue; // fragments: not reassembled (lists here are small)
    const ihl = (p[ip]! & 0xf) * 4;
    const udp = ip + ihl;
    const len = p.readUInt16BE(udp + 4);
    out.push({
      src: `${p[ip + 12]}.${p[ip + 13]}.${p[ip + 14]}.${p[ip + 15]}`,
      dst: `${p[ip + 16]}.${p[ip + 17]}.${p[ip + 18]}.${p[ip + 19]}`,
      sport: p.readUInt16BE(udp),
      dport: p.readUInt16BE(udp + 2),
      data: new Uint8Array(p.subarray(udp + 8, udp + len)),
      t,
    });
  }
  return out;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'riffbox-capture-'));
  const [pDir, pSrv, pTool] = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort()];
  const rpcPort = await freeTcpPort();
  const jackName = `riffbox-capture-${process.pid}`;
  const secretFile = join(work, 'secret');
  writeFileSync(secretFile, 'capture-fixtures-secret-0123456789\n');
  const pcap = join(work, 'lo.pcap');
  const roles = new Map<number, string>([
    [pDir, 'directory'],
    [pSrv, 'server'],
    [pTool, 'tool'],
  ]);
  const tool = dgram.createSocket('udp4');
  try {
    const dump = start('tcpdump', ['-i', 'lo', '-U', '-n', '-s', '0', '-w', pcap, `udp and (port ${pDir} or port ${pSrv} or port ${pTool})`]);
    await waitFor('tcpdump', () => (dump as ChildProcess & { log: () => string }).log().includes('listening on'));

    start('Jamulus', ['-s', '-n', '-p', String(pDir), '-e', 'localhost', '-o', 'Dir;DirCity;82']);
    await sleep(500);
    start('Jamulus', ['-s', '-n', '-L', '-p', String(pSrv), '-e', `127.0.0.1:${pDir}`, '-o', 'MyServer;MyCity;82', '-u', '7', '-w', 'Hello']);
    start('jackd', ['--no-realtime', '-n', jackName, '-d', 'dummy', '-r', '48000', '-p', '128']);
    await sleep(1500);

    await new Promise<void>((r) => tool.bind(pTool, '127.0.0.1', () => r()));
    const clm = (port: number, id: number, payload: number[]): void => {
      tool.send(buildFrame(id, 0, Uint8Array.from(payload)), port, '127.0.0.1');
    };
    // Connection-less requests before any client is connected.
    clm(pSrv, 1001, [0x40, 0xe2, 0x01, 0x00]); // CLM_PING_MS 123456
    clm(pSrv, 1012, []); // CLM_REQ_VERSION_AND_OS
    clm(pSrv, 1014, []); // CLM_REQ_CONN_CLIENTS_LIST (nobody connected)
    clm(pDir, 1007, []); // CLM_REQ_SERVER_LIST
    clm(pSrv, 1020, []); // CLM_REQ_SERVER_FEATURES (4.0 only: no answer expected)
    await sleep(300);

    start(
      'Jamulus',
      ['-n', '-c', `127.0.0.1:${pSrv}`, '--mutemyown', '--jsonrpcport', String(rpcPort), '--jsonrpcsecretfile', secretFile],
      { JACK_DEFAULT_SERVER: jackName },
    );
    let rpc: Awaited<ReturnType<typeof jsonRpc>> | undefined;
    await waitFor('client JSON-RPC', async () => {
      try {
        rpc = await jsonRpc(rpcPort);
        return true;
      } catch {
        return false;
      }
    });
    await rpc!.call('jamulus/apiAuth', { secret: 'capture-fixtures-secret-0123456789' });
    await waitFor('client connected', async () => ((await rpc!.call('jamulusclient/getClientInfo')) as { connected?: boolean })?.connected === true);
    await sleep(1000);
    await rpc!.call('jamulusclient/setName', { name: 'Fixture Ann' });
    await rpc!.call('jamulusclient/setSkillLevel', { skillLevel: 'expert' });
    await sleep(500);
    await rpc!.call('jamulusclient/sendChatText', { chatText: 'hi there' });
    await sleep(500);
    // Over 550 bytes in both directions once split support is negotiated.
    await rpc!.call('jamulusclient/sendChatText', { chatText: `long: ${'0123456789abcdef '.repeat(40)}end` });
    await sleep(800);

    clm(pSrv, 1002, [0x01, 0x02, 0x03, 0x04, 0x00]); // CLM_PING_MS_WITHNUMCLIENTS
    clm(pSrv, 1014, []); // CLM_REQ_CONN_CLIENTS_LIST, now with a client
    clm(pSrv, 1009, []); // CLM_EMPTY_MESSAGE
    await sleep(1500);
    rpc!.close();

    // Teardown order gives CLM_DISCONNECTION (client) and CLM_UNREGISTER_SERVER (server).
    for (const c of [...children].reverse()) {
      if (c === dump) continue;
      await stop(c);
      await sleep(300);
    }
    await sleep(300);
    await stop(dump, 'SIGINT');
  } finally {
    tool.close();
    for (const c of children) await stop(c, 'SIGKILL');
  }

  const packets = readPcap(pcap);
  rmSync(work, { recursive: true, force: true });
  // Per (message, direction): the first example and, if different, the longest (e.g. a client list with
  // entries after the initial empty one). Split parts are kept per part index.
  const first = new Map<string, ReturnType<typeof entryFor>>();
  const longest = new Map<string, ReturnType<typeof entryFor>>();
  for (const p of packets) {
    const f = parseFrame(p.data);
    if (!f.ok) continue; // audio
    // The client picks its own port; every port that is not ours is the client.
    const from = roles.get(p.sport) ?? 'client';
    const to = roles.get(p.dport) ?? 'client';
    const name = messageName(f.id) ?? `id ${f.id}`;
    const key = `${name} ${from}->${to}${f.id === 2001 ? ` part ${f.payload[3]}` : ''}`;
    const e = entryFor(name, f.id, f.counter, from, to, p.data);
    if (!first.has(key)) first.set(key, e);
    if (p.data.length > (longest.get(key)?.bytes ?? 0)) longest.set(key, e);
  }
  const chosen = new Set([...first.values(), ...longest.values()]);
  const fixtures = [...chosen].map(({ bytes: _bytes, ...rest }) => rest).sort((a, b) => a.id - b.id || a.direction.localeCompare(b.direction));
  writeFileSync(outFile, toFixtureJson(fixtures));
  console.log(`${packets.length} packets, ${fixtures.length} fixtures -> ${outFile}`);
  for (const f of fixtures) console.log(`${f.name.padEnd(28)} ${f.direction}`);
}

function entryFor(name: string, id: number, counter: number, from: string, to: string, data: Uint8Array) {
  let value: unknown = null;
  try {
    value = decodeMessage(id, data.subarray(7, data.length - 2)).value;
  } catch (e) {
    value = { error: (e as Error).message };
  }
  return { name, id, class: messageClass(id), direction: `${from}->${to}`, counter, frame: annotateFrame(data), value, checked: false, bytes: data.length };
}

main().catch((e) => {
  console.error(e);
  for (const c of children) if (c.pid && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
  process.exit(1);
});
