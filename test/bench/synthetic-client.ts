// Synthetic Jamulus clients for load tests: each one is what a real server accepts (protocol reference
// §5.6) — a fixed UDP socket sending real Opus custom frames at the frame rate, answering the server's
// requests, ACKing everything (ProtocolLink), switching sequence numbers on after VERSION_AND_OS ≥ 3.6.0 —
// and it timestamps every audio packet the server sends it.
//
// Cheap on purpose, so that one load-generator process can drive 30 of them next to the server under
// test on two cores: the sine loop is encoded once per format, every packet that will ever be sent is
// built up front (a 256-frame loop lines up with the 8-bit sequence counter), all clients share one
// pacing timer, and the receive path writes arrival times into a preallocated ring.
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import {
  CODEC,
  ProtocolLink,
  isProtocolFrame,
  encodeMessage,
  propsFromFormat,
  type AudioFormat,
  type ReceivedMessage,
} from '../../appliance/src/protocol/index.js';
import { OpusCustomEncoder, codedBytesFor, type ChannelCount, type FrameSamples } from '../../appliance/src/audio/opus-codec.js';
import { tickPeriodNs } from '../../appliance/src/audio/tick-period.js';
import { TickPacer } from './tick-pacer.js';

/** Frames in the pre-encoded loop: one full turn of the sequence counter, so packet k always carries seq k. */
export const LOOP_FRAMES = 256;

/** Jitter buffer request sent like the reference client's default ("auto"). */
const AUTO_JITTER = 21;

/** Catch-up limit per timer callback: after a long stall a sound card would not burst more either. */
const MAX_CATCH_UP = 4;
/**
 * How long a closed client keeps its port after its CLM_DISCONNECTION. The server frees the channel at its next
 * tick unless audio arrives first (as the reference does), so a new client that the kernel gave the same port
 * within that tick would be taken for the old channel and never get a CLIENT_ID of its own.
 */
const PORT_LINGER_MS = 100;

/**
 * Every datagram a client of this format will send: packets[k] (no sequence byte) and packetsSeq[k]
 * (sequence byte k), k = 0..255, holding frame k of a looped sine. Shared by all clients of the format.
 */
export interface PacketLoop {
  frameSamples: FrameSamples;
  channels: ChannelCount;
  codedBytes: number;
  packets: Buffer[];
  packetsSeq: Buffer[];
}

/**
 * Encodes LOOP_FRAMES frames of a sine whose period divides the loop (≈440 Hz), so the loop is seamless
 * in the signal; the encoder's state at the wrap is not, which costs a click per loop and nothing else.
 * Amplitude 0 gives real Opus frames of silence.
 */
export function buildPacketLoop(frameSamples: FrameSamples, channels: ChannelCount = 1, codedBytes = codedBytesFor(frameSamples, channels, 'normal'), amplitude = 8000): PacketLoop {
  const total = LOOP_FRAMES * frameSamples;
  const cycles = Math.round((440 * total) / 48000);
  const enc = new OpusCustomEncoder(frameSamples, channels, codedBytes);
  const pcm = new Int16Array(frameSamples * channels);
  const coded = new Uint8Array(codedBytes);
  const packets: Buffer[] = [];
  const packetsSeq: Buffer[] = [];
  for (let k = 0; k < LOOP_FRAMES; k++) {
    for (let i = 0; i < frameSamples; i++) {
      const n = k * frameSamples + i;
      const v = Math.round(amplitude * Math.sin((2 * Math.PI * cycles * n) / total));
      for (let c = 0; c < channels; c++) pcm[i * channels + c] = v;
    }
    const written = enc.encode(pcm, coded, 0);
    if (written !== codedBytes) throw new Error(`Opus encoder wrote ${written} bytes, expected ${codedBytes}`);
    packets.push(Buffer.from(coded));
    const withSeq = Buffer.alloc(codedBytes + 1);
    withSeq.set(coded, 0);
    withSeq[codedBytes] = k;
    packetsSeq.push(withSeq);
  }
  return { frameSamples, channels, codedBytes, packets, packetsSeq };
}

/** "3.9.1" ≥ "3.6.0"? Leading numeric components only, as Qt's QVersionNumber reads them. */
export function versionAtLeast(version: string, min: readonly number[]): boolean {
  const parts = (version.match(/^\d+(?:\.\d+)*/)?.[0] ?? '').split('.').filter((s) => s !== '').map(Number);
  for (let i = 0; i < min.length; i++) {
    const v = parts[i] ?? 0;
    if (v !== min[i]) return v > min[i]!;
  }
  return true;
}

export interface SyntheticClientOptions {
  serverAddress: string;
  serverPort: number;
  loop: PacketLoop;
  name: string;
  /** Arrival times kept while measuring (rounded up to a power of two). */
  ringCapacity?: number;
  /** Where in the loop this client starts, so clients do not all send the same frame. */
  loopOffset?: number;
}

export interface ArrivalSummary {
  /** Audio packets received while measuring. */
  packets: number;
  /** Intervals between consecutive arrivals, ms, in arrival order (last `ringCapacity` arrivals). */
  intervals: Float64Array;
  /** Arrivals that overwrote older ones because the ring was full. */
  overwritten: number;
}

export class SyntheticClient {
  readonly name: string;
  readonly socket: dgram.Socket;
  readonly link: ProtocolLink;
  readonly loop: PacketLoop;
  private readonly serverAddress: string;
  private readonly serverPort: number;
  private sequence = false;
  private loopIndex: number;
  private readonly ring: Float64Array;
  private readonly mask: number;
  private ringCount = 0;
  private measuring = false;
  /** Channel id the server gave us (CLIENT_ID), -1 before. */
  channelId = -1;
  /** Server version from VERSION_AND_OS. */
  serverVersion = '';
  /** performance.now() of the first server audio packet, or -1. */
  firstAudioAt = -1;
  audioPacketsIn = 0;
  /** Server audio whose size does not match our declared format (e.g. during the sequence switch). */
  wrongSizeIn = 0;
  audioPacketsOut = 0;
  protocolIn = 0;
  serverFull = false;
  disconnectedByServer = false;
  private closed = false;

  private constructor(opts: SyntheticClientOptions, socket: dgram.Socket) {
    this.name = opts.name;
    this.socket = socket;
    this.loop = opts.loop;
    this.serverAddress = opts.serverAddress;
    this.serverPort = opts.serverPort;
    this.loopIndex = (opts.loopOffset ?? 0) % LOOP_FRAMES;
    let cap = 1;
    while (cap < (opts.ringCapacity ?? 32768)) cap <<= 1;
    this.ring = new Float64Array(cap);
    this.mask = cap - 1;
    this.link = new ProtocolLink({
      send: (bytes) => this.sendRaw(bytes),
      onMessage: (m) => this.onMessage(m),
    });
    socket.on('message', (msg) => this.onDatagram(msg));
    // A send error (ICMP port unreachable once the server is gone) concerns this run only.
    socket.on('error', () => {});
  }

  /** Binds a socket on 127.0.0.1 (any port) and announces the format; audio starts with the first sendFrame(). */
  static async open(opts: SyntheticClientOptions): Promise<SyntheticClient> {
    const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 18 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const c = new SyntheticClient(opts, socket);
    // Races the first audio packet and is usually dropped by the server (no channel yet); the reference
    // client does the same and the server's REQ_NETW_TRANSPORT_PROPS settles it.
    c.link.sendMessage('NETW_TRANSPORT_PROPS', propsFromFormat(c.format), performance.now());
    return c;
  }

  get format(): AudioFormat {
    return {
      codec: this.loop.frameSamples === 64 ? CODEC.OPUS64 : CODEC.OPUS,
      frameSamples: this.loop.frameSamples,
      channels: this.loop.channels,
      codedBytes: this.loop.codedBytes,
      factor: 1,
      sequence: this.sequence,
    };
  }

  get sequenceEnabled(): boolean {
    return this.sequence;
  }

  /** Bytes of a server audio packet in our format. */
  get expectedPacketBytes(): number {
    return this.loop.codedBytes + (this.sequence ? 1 : 0);
  }

  /** Sends the next frame of the loop. */
  sendFrame(): void {
    if (this.closed) return;
    const k = this.loopIndex;
    this.loopIndex = (k + 1) & (LOOP_FRAMES - 1);
    const p = this.sequence ? this.loop.packetsSeq[k]! : this.loop.packets[k]!;
    this.audioPacketsOut++;
    this.socket.send(p, this.serverPort, this.serverAddress);
  }

  /** Starts recording arrival times afresh. */
  startMeasuring(): void {
    this.ringCount = 0;
    this.measuring = true;
  }

  stopMeasuring(): void {
    this.measuring = false;
  }

  /** Intervals between the arrivals recorded since startMeasuring(). */
  arrivals(): ArrivalSummary {
    const n = Math.min(this.ringCount, this.ring.length);
    const first = this.ringCount - n;
    const intervals = new Float64Array(Math.max(0, n - 1));
    for (let i = 1; i < n; i++) {
      intervals[i - 1] = this.ring[(first + i) & this.mask]! - this.ring[(first + i - 1) & this.mask]!;
    }
    return { packets: this.ringCount, intervals, overwritten: first };
  }

  /** Leaves like the reference client: audio stops, then one CLM_DISCONNECTION; the port is let go after PORT_LINGER_MS. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => {
      try {
        this.socket.send(encodeMessage('CLM_DISCONNECTION', {}, 0), this.serverPort, this.serverAddress, () =>
          setTimeout(() => this.socket.close(() => resolve()), PORT_LINGER_MS),
        );
      } catch {
        resolve();
      }
    });
  }

  private sendRaw(bytes: Uint8Array): void {
    if (!this.closed) this.socket.send(bytes, this.serverPort, this.serverAddress);
  }

  private onDatagram(msg: Buffer): void {
    const now = performance.now();
    if (isProtocolFrame(msg, msg.length)) {
      this.protocolIn++;
      this.link.receive(msg, now);
      return;
    }
    this.audioPacketsIn++;
    if (msg.length !== this.expectedPacketBytes) {
      this.wrongSizeIn++;
      return;
    }
    if (this.measuring) {
      this.ring[this.ringCount & this.mask] = now;
      this.ringCount++;
    }
    if (this.firstAudioAt < 0) {
      this.firstAudioAt = now;
      // What the reference client sends on its "new connection" (§5.2).
      this.link.sendMessage('REQ_CONN_CLIENTS_LIST', {}, now);
      this.link.sendMessage('JITT_BUF_SIZE', { blocks: AUTO_JITTER }, now);
      this.link.sendMessage('REQ_CHANNEL_LEVEL_LIST', { optIn: true }, now);
    }
  }

  private onMessage(m: ReceivedMessage): void {
    const now = performance.now();
    switch (m.name) {
      case 'CLIENT_ID':
        this.channelId = m.value.channelId;
        return;
      case 'REQ_NETW_TRANSPORT_PROPS':
        this.link.sendMessage('NETW_TRANSPORT_PROPS', propsFromFormat(this.format), now);
        return;
      case 'REQ_JITT_BUF_SIZE':
        this.link.sendMessage('JITT_BUF_SIZE', { blocks: AUTO_JITTER }, now);
        return;
      case 'REQ_CHANNEL_INFOS':
        this.link.sendMessage('CHANNEL_INFOS', { country: 0, instrument: 0, skill: 0, name: this.name, city: '' }, now);
        return;
      case 'VERSION_AND_OS':
        this.serverVersion = m.value.version;
        if (!this.sequence && versionAtLeast(m.value.version, [3, 6, 0])) {
          this.sequence = true;
          this.link.sendMessage('NETW_TRANSPORT_PROPS', propsFromFormat(this.format), now);
        }
        return;
      case 'CLM_SERVER_FULL':
        this.serverFull = true;
        return;
      case 'CLM_DISCONNECTION':
        this.disconnectedByServer = true;
        return;
      default:
        return;
    }
  }
}

export interface PoolOptions {
  serverAddress: string;
  serverPort: number;
  frameSamples: FrameSamples;
  clients: number;
  channels?: ChannelCount;
  ringCapacity?: number;
  /** Pause between opening clients, so the server sees connections one by one as people join. */
  staggerMs?: number;
  /** Send silence instead of the sine (a test that listens to real clients beside this load). */
  silent?: boolean;
}

export interface PoolStats {
  /** Timer callbacks, and those that found more than one frame due (the generator itself was late). */
  timerCallbacks: number;
  lateCallbacks: number;
  /** Frames not sent because the generator fell more than MAX_CATCH_UP frames behind. */
  skippedFrames: number;
  timerRealtime: boolean;
}

/** N synthetic clients of one format, paced together by one tick pacer (tick-pacer.ts). */
export class SyntheticClientPool {
  readonly clients: SyntheticClient[] = [];
  readonly frameSamples: FrameSamples;
  private readonly counters: PoolStats = { timerCallbacks: 0, lateCallbacks: 0, skippedFrames: 0, timerRealtime: false };
  private timer: TickPacer | null = null;
  private pollCounter = 0;

  private constructor(frameSamples: FrameSamples) {
    this.frameSamples = frameSamples;
  }

  static async open(opts: PoolOptions): Promise<SyntheticClientPool> {
    const pool = new SyntheticClientPool(opts.frameSamples);
    const channels = opts.channels ?? 1;
    const loop = buildPacketLoop(opts.frameSamples, channels, codedBytesFor(opts.frameSamples, channels, 'normal'), opts.silent ? 0 : 8000);
    pool.startTimer();
    try {
      for (let i = 0; i < opts.clients; i++) {
        const c = await SyntheticClient.open({
          serverAddress: opts.serverAddress,
          serverPort: opts.serverPort,
          loop,
          name: `bench-${i}`,
          ringCapacity: opts.ringCapacity,
          loopOffset: (i * 37) % LOOP_FRAMES,
        });
        pool.clients.push(c);
        if (opts.staggerMs) await new Promise((r) => setTimeout(r, opts.staggerMs));
      }
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Clients that receive server audio in their declared format with sequence numbers on. */
  streamingClients(): number {
    return this.clients.filter((c) => c.firstAudioAt >= 0 && c.sequenceEnabled && !c.serverFull).length;
  }

  /**
   * Resolves with the number of streaming clients once all stream, or at the timeout with however many
   * do (an overloaded machine may never get the last ones through); `describeWaiting` tells why.
   */
  async waitUntilStreaming(timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (this.streamingClients() < this.clients.length && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.streamingClients();
  }

  /** One line about the clients that do not stream yet, for error messages. */
  describeWaiting(): string {
    const waiting = this.clients.filter((c) => c.firstAudioAt < 0 || !c.sequenceEnabled || c.serverFull);
    const w = waiting[0];
    if (!w) return 'all streaming';
    return (
      `${waiting.length}/${this.clients.length} not streaming (${waiting.map((c) => c.name).join(' ')}; e.g. ${w.name}: ` +
      `channelId=${w.channelId} version='${w.serverVersion}' audioIn=${w.audioPacketsIn} wrongSize=${w.wrongSizeIn} ` +
      `protocolIn=${w.protocolIn} retransmits=${w.link.stats.retransmits} acksMatched=${w.link.stats.acksMatched} ` +
      `serverFull=${w.serverFull} queued=${w.link.queued})`
    );
  }

  /** A copy of the pacing counters. */
  get stats(): PoolStats {
    // Read now, not at start(): the timer thread asks for SCHED_FIFO only once it runs.
    if (this.timer) this.counters.timerRealtime = this.timer.realtime;
    return { ...this.counters };
  }

  startMeasuring(): void {
    for (const c of this.clients) c.startMeasuring();
  }

  stopMeasuring(): void {
    for (const c of this.clients) c.stopMeasuring();
  }

  async close(): Promise<void> {
    this.timer?.stop();
    this.timer = null;
    await Promise.all(this.clients.map((c) => c.close()));
  }

  private startTimer(): void {
    const t = new TickPacer(tickPeriodNs(this.frameSamples), (due) => this.onTimer(due));
    t.start();
    this.timer = t;
  }

  private onTimer(due: number): void {
    const s = this.counters;
    s.timerCallbacks++;
    if (due > 1) s.lateCallbacks++;
    let run = due;
    if (run > MAX_CATCH_UP) {
      s.skippedFrames += run - MAX_CATCH_UP;
      run = MAX_CATCH_UP;
    }
    const clients = this.clients;
    for (let r = 0; r < run; r++) for (let i = 0; i < clients.length; i++) clients[i]!.sendFrame();
    // Retransmits are due every 400 ms at most; looking 20 times a second is plenty.
    if (++this.pollCounter >= 40) {
      this.pollCounter = 0;
      const now = performance.now();
      for (let i = 0; i < clients.length; i++) clients[i]!.link.poll(now);
    }
  }
}

/** p50 / p99 / max and the count above `lateMs` of pooled intervals (ms). */
export interface IntervalStats {
  count: number;
  p50: number;
  p99: number;
  max: number;
  late: number;
}

export function intervalStats(all: readonly Float64Array[], lateMs: number): IntervalStats {
  let total = 0;
  for (const a of all) total += a.length;
  const pooled = new Float64Array(total);
  let at = 0;
  for (const a of all) {
    pooled.set(a, at);
    at += a.length;
  }
  pooled.sort();
  let late = 0;
  for (let i = 0; i < total; i++) if (pooled[i]! > lateMs) late++;
  const pick = (q: number): number => (total ? pooled[Math.min(total - 1, Math.floor(q * total))]! : NaN);
  return { count: total, p50: pick(0.5), p99: pick(0.99), max: total ? pooled[total - 1]! : NaN, late };
}
