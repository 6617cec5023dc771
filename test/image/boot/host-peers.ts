// What stands outside the box in the owner's journey, on the host's loopback: a friend's real
// Jamulus 3.9.1 client (on its own dummy jackd, with a sine into its input and its output
// recorded), a real Jamulus directory, and a dyndns2 provider. The guest reaches the host's
// loopback at HOST_FROM_GUEST through QEMU's user networking.
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { ProcessGroup } from '../../harness/processes.js';
import { startJackd, playSine, record, type Jack, SINE_LEFT_HZ } from '../../harness/jack.js';
import { startJamulusClient, startJamulusDirectory, type JamulusClient, type JamulusServer } from '../../harness/jamulus.js';
import { readWav, toneLevelDb, toneRatioDb } from '../../harness/audio-analysis.js';
import { encodeMessage, parseFrame, decodeMessage } from '../../../appliance/src/protocol/index.js';

/** The sine the friend plays, as the harness's sine player makes it (left input). */
export const FRIEND_HZ = SINE_LEFT_HZ;

export interface Friend {
  readonly jack: Jack;
  client: JamulusClient;
  /** Musicians the friend's client lists (jamulusclient/getClientList). */
  musicians(): Promise<string[]>;
  /** Records the friend's output and measures `freq` in it: tone level (dBFS) and ratio to the rest (dB). */
  hear(seconds: number, freq: number, label: string): Promise<{ levelDb: number; ratioDb: number }>;
  /** Connects again (a friend who was told the new port). */
  reconnect(hostPort: number): Promise<void>;
}

export async function startFriend(g: ProcessGroup, hostPort: number, name = 'Friend'): Promise<Friend> {
  const jack = await startJackd(g, { frames: 128 });
  const join = (port: number): Promise<JamulusClient> =>
    startJamulusClient(g, { server: `127.0.0.1:${port}`, jack, name, timeoutMs: 60000 });
  const friend: Friend = {
    jack,
    client: await join(hostPort),
    async musicians() {
      const r = await friend.client.rpc!.client.call<{ clients: { name: string }[] }>('jamulusclient/getClientList');
      return r.clients.map((c) => c.name);
    },
    async hear(seconds, freq, label) {
      const wav = readWav(await record(g, jack, [friend.client.outputs.left, friend.client.outputs.right], seconds, g.path(`${label}.wav`)));
      const left = wav.channels[0]!.subarray(wav.sampleRate / 2);
      return { levelDb: +toneLevelDb(left, wav.sampleRate, freq).toFixed(1), ratioDb: +toneRatioDb(left, wav.sampleRate, freq).toFixed(1) };
    },
    async reconnect(port) {
      await friend.client.stop();
      friend.client = await join(port);
      await playSine(g, jack, [friend.client.inputs.left, friend.client.inputs.right]);
    },
  };
  await playSine(g, jack, [friend.client.inputs.left, friend.client.inputs.right]);
  return friend;
}

export function startDirectory(g: ProcessGroup): Promise<JamulusServer> {
  return startJamulusDirectory(g, {});
}

/** The names a directory lists, asked as a Jamulus client's connect dialog asks (CLM_REQ_SERVER_LIST). */
export function directoryNames(port: number, timeoutMs = 5000): Promise<string[] | null> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const req = encodeMessage('CLM_REQ_SERVER_LIST', {}, 0);
    const send = (): void => sock.send(req, port, '127.0.0.1');
    const timer = setInterval(send, 500);
    const done = (v: string[] | null): void => {
      clearInterval(timer);
      clearTimeout(deadline);
      sock.close();
      resolve(v);
    };
    const deadline = setTimeout(() => done(null), timeoutMs);
    sock.on('message', (m) => {
      const f = parseFrame(m);
      if (!f.ok) return;
      const d = decodeMessage(f.id, f.payload);
      if (d.name === 'CLM_SERVER_LIST') done((d.value.servers as { name: string }[]).map((s) => s.name));
    });
    sock.bind(0, '127.0.0.1', send);
  });
}

export interface Dyndns {
  readonly port: number;
  readonly publicIp: string;
  readonly updates: { hostname: string | null; myip: string | null; auth: string | undefined }[];
  close(): Promise<void>;
}

/** A dyndns2 provider (and its "what is my IP" page) answering the box's ddclient. */
export async function startDyndns(user: string, password: string, publicIp: string): Promise<Dyndns> {
  const updates: Dyndns['updates'] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/ip') return void res.end(`Current IP Address: ${publicIp}\n`);
    if (url.pathname === '/nic/update') {
      updates.push({ hostname: url.searchParams.get('hostname'), myip: url.searchParams.get('myip'), auth: req.headers.authorization });
      if (req.headers.authorization !== `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`) return void res.writeHead(401).end('badauth');
      return void res.end(`good ${url.searchParams.get('myip')}`);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    publicIp,
    updates,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
