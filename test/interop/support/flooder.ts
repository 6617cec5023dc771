// A hostile client in its own process, so its sending never shares an event loop with the test that judges
// the band. It connects like a real client (a SyntheticClient: handshake, real Opus frames of silence,
// sequence numbers), so it
// is a confirmed channel with everything a client may do; on SIGUSR1 it moves to the addon's native socket on
// the same port and sends, at the given rate, a mix of what a broken or hostile client would: its audio far
// too fast, audio of wrong sizes, acknowledged messages (chat, profiles, gains, pans, props, jitter buffer,
// list requests, stray ACKs) with made-up counters, and connection-less requests. It answers nothing from
// then on. SIGTERM writes the figures to --out and exits.
//
//   node dist/test/interop/support/flooder.js --server 127.0.0.1:PORT --pps 50000 --out FILE
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { encodeMessage, propsFromFormat, CODEC, type AckedMessageName, type MessageValues } from '../../../appliance/src/protocol/index.js';
import { NativeUdpSocket, ipv4ToUint } from '../../../appliance/src/net/udp-socket.js';
import { SyntheticClient, buildPacketLoop } from '../../bench/synthetic-client.js';

export interface FloodResult {
  seconds: number;
  sent: number;
  sentBytes: number;
  received: number;
  receivedBytes: number;
  pps: number;
  /** Datagrams the kernel would not take (sendmmsg EAGAIN/ENOBUFS). */
  sendErrors: number;
}

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`flooder: missing ${name}`);
  return v;
}

/** Deterministic PRNG: the same run sends the same mix. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 4096 datagrams in a shuffled order: half valid audio, the rest junk audio, messages and requests. */
function buildMix(audio: readonly Uint8Array[]): Uint8Array[] {
  const rnd = prng(0xf100d);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const acked = <N extends AckedMessageName>(name: N, value: MessageValues[N]): Uint8Array => encodeMessage(name, value, Math.floor(rnd() * 256));
  const format = { codec: CODEC.OPUS, frameSamples: 128, channels: 1, codedBytes: 45, factor: 1, sequence: true } as const;
  const makers: Array<() => Uint8Array> = [
    () => acked('CHAT_TEXT', { text: `flood ${Math.floor(rnd() * 1e6)}` }),
    () => acked('CHANNEL_INFOS', { country: Math.floor(rnd() * 200), instrument: Math.floor(rnd() * 40), skill: 1, name: `flood${Math.floor(rnd() * 1000)}`, city: 'x' }),
    () => acked('CHANNEL_GAIN', { channelId: Math.floor(rnd() * 10), gain: rnd() < 0.5 ? 0 : 32768 }),
    () => acked('CHANNEL_PAN', { channelId: Math.floor(rnd() * 10), pan: Math.floor(rnd() * 32768) }),
    () => acked('JITT_BUF_SIZE', { blocks: 1 + Math.floor(rnd() * 21) }),
    () => acked('REQ_CONN_CLIENTS_LIST', {}),
    () => acked('NETW_TRANSPORT_PROPS', propsFromFormat({ ...format, codedBytes: pick([45, 25, 82]) })),
    () => encodeMessage('ACKN', { ackedId: pick([24, 32, 18, 11]) }, Math.floor(rnd() * 256)),
    () => encodeMessage('CLM_PING_MS', { timeMs: Math.floor(rnd() * 1e9) }, 0),
    () => encodeMessage('CLM_PING_MS_WITHNUMCLIENTS', { timeMs: Math.floor(rnd() * 1e9), numClients: 0 }, 0),
    () => encodeMessage('CLM_REQ_VERSION_AND_OS', {}, 0),
    () => encodeMessage('CLM_REQ_CONN_CLIENTS_LIST', {}, 0),
  ];
  const mix: Uint8Array[] = [];
  for (let i = 0; i < 4096; i++) {
    const r = rnd();
    if (r < 0.5) mix.push(audio[i % audio.length]!);
    else if (r < 0.6) {
      const junk = new Uint8Array(pick([12, 23, 45, 47, 100, 400]));
      for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(rnd() * 256);
      mix.push(junk);
    } else mix.push(pick(makers)());
  }
  return mix;
}

async function main(): Promise<void> {
  const [host, portText] = arg('--server').split(':');
  const serverPort = Number(portText);
  const pps = Number(arg('--pps'));
  const out = arg('--out');

  // Silence: the server mixes a confirmed client's audio into everybody's mix, and the band is judged on
  // hearing its own tone, not on whether a flooder can be heard.
  const loop = buildPacketLoop(128, 1, undefined, 0);
  const client = await SyntheticClient.open({ serverAddress: host!, serverPort, loop, name: 'Flooder' });
  const pacing = setInterval(() => {
    client.sendFrame();
    client.link.poll(performance.now());
  }, 2);
  const deadline = performance.now() + 20_000;
  while (!(client.firstAudioAt >= 0 && client.sequenceEnabled)) {
    if (performance.now() > deadline) throw new Error('flooder: never got audio from the server');
    await new Promise((r) => setTimeout(r, 20));
  }
  const ownPort = client.socket.address().port;
  console.log(`connected from port ${ownPort} as channel ${client.channelId}`);

  await new Promise<void>((resolve) => process.once('SIGUSR1', () => resolve()));
  clearInterval(pacing);
  // Same address and port, so the server still takes it for the client it confirmed; no goodbye is sent.
  await new Promise<void>((r) => client.socket.close(() => r()));
  const socket = new NativeUdpSocket({ port: ownPort, address: '127.0.0.1', sendQueueLength: 1024, sendBufferBytes: 1 << 22, recvBufferBytes: 1 << 20 });
  const target = ipv4ToUint(host!);
  const mix = buildMix(loop.packetsSeq);
  const stats: FloodResult = { seconds: 0, sent: 0, sentBytes: 0, received: 0, receivedBytes: 0, pps: 0, sendErrors: 0 };
  const t0 = performance.now();
  let at = 0;
  let scheduled = 0;
  let stopping = false;

  const step = (): void => {
    if (stopping) return;
    const due = Math.floor(((performance.now() - t0) * pps) / 1000);
    // A stalled process does not burst more than 20 ms worth: what it missed is not sent.
    if (due - scheduled > pps / 50) scheduled = due - Math.floor(pps / 50);
    while (scheduled < due) {
      const d = mix[at]!;
      at = (at + 1) & 4095;
      if (socket.queued === socket.sendQueueLength) socket.flush();
      socket.queue(d, 0, d.length, target, serverPort);
      scheduled++;
      stats.sent++;
      stats.sentBytes += d.length;
    }
    socket.flush();
    for (let n = socket.receive(); n > 0; n = socket.receive()) {
      stats.received += n;
      for (let k = 0; k < n; k++) stats.receivedBytes += Math.min(socket.recvLengths[k]!, socket.slotBytes);
    }
    setTimeout(step, 1);
  };
  console.log('flooding');
  step();

  process.once('SIGTERM', () => {
    stopping = true;
    stats.seconds = (performance.now() - t0) / 1000;
    stats.pps = stats.sent / stats.seconds;
    stats.sendErrors = socket.stats().sendErrors;
    socket.close();
    writeFileSync(out, JSON.stringify(stats));
    console.log(`results ${out}`);
    process.exit(0);
  });
}

main().catch((e: unknown) => {
  console.error(`flooder: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
