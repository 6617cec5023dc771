// One server channel slot: a connected client's address, protocol link, negotiated audio format, and the
// preallocated buffers its audio needs on every tick. Buffers are (re)allocated only when the client
// announces a new format (NETW_TRANSPORT_PROPS), never on the tick.
import { ProtocolLink, audioPacketBytes, assembleAudioPacket, type AudioFormat, type ChannelInfo } from '../protocol/index.js';
import { JITTER, StreamReceiver, DECODE_UNDERRUN, DECODE_SIZE_CHANGED } from '../audio/jitter-buffer.js';
import { FadeIn } from '../audio/fade-in.js';
import { LevelMeter } from '../audio/level-meter.js';
import type { OpusCustomEncoder } from '../audio/opus-codec.js';
import { serverEncoders } from './codec-pool.js';
import { CHANNEL_FANOUT_BUDGET, CHANNEL_MESSAGE_BUDGET, PROBATION_TIMEOUT_SAMPLES } from './server-facts.js';
import { TokenBucket } from './token-buckets.js';
import { endpointText } from '../net/endpoint.js';

const OUT_RING = 4;
/**
 * Missing frames concealed (Opus PLC) after a received one, ≈85 ms at 128 samples; beyond that, and before the
 * first frame, the channel is silent. A custom-mode decoder's concealment never fades out: it holds noise at
 * ≈ −50 dBFS after real audio and ≈ −34 dBFS on a decoder that never decoded a frame, so a client that stops
 * sending, or keeps announcing new formats, would otherwise hiss in everybody's mix.
 */
const MAX_CONCEALED_FRAMES = 32;

export const EMPTY_INFO: Readonly<ChannelInfo> = Object.freeze({ country: 0, instrument: 0, skill: 0, name: '', city: '' });

/** Audio state that exists once a client announced an Opus format. */
export class ChannelAudio {
  readonly format: AudioFormat;
  /** Jitter buffer, its auto-sizer and the decoder, in the addon (the same code as the client's). */
  readonly receiver: StreamReceiver;
  /** The auto-sizer moved the buffer since the engine last told the client (JITT_BUF_SIZE). */
  sizeChanged = false;
  readonly encoder: OpusCustomEncoder;
  /** Decoded input for the current server tick (serverFrame × channels). */
  readonly input: Int16Array;
  /** Views into `input` (client 64 on a 128 server) or into `convIn` (client 128 on a 64 server). */
  readonly inputHalves: [Int16Array, Int16Array];
  /** One decoded 128-sample client frame split over two 64-sample server ticks. */
  readonly convIn: Int16Array;
  readonly convInHalves: [Int16Array, Int16Array];
  /** The personal mix for this tick. */
  readonly mix: Int16Array;
  readonly mixHalves: [Int16Array, Int16Array];
  /** Two 64-sample mixes collected for one 128-sample client frame on a 64 server. */
  readonly convOut: Int16Array;
  readonly convOutHalves: [Int16Array, Int16Array];
  /** Coded frames waiting to fill one datagram (factor × codedBytes). */
  readonly codedOut: Uint8Array;
  codedOutFrames = 0;
  /** Datagrams in flight rotate through a small ring, so a queued send never sees its bytes overwritten. */
  readonly packets: Uint8Array[];
  packetIndex = 0;
  sendSeq = 0;
  /** The decoded input the tick mixed last (for the level meter). */
  current: Int16Array;
  /** Phase of the 2:1 conversions (which half of a conversion buffer this tick uses). */
  phase = 0;
  /** Frames in a row without data to decode; starts "long ago" so a new stream begins silent. */
  private missing = MAX_CONCEALED_FRAMES;

  constructor(format: AudioFormat, serverFrame: 64 | 128) {
    this.format = format;
    const ch = format.channels as 1 | 2;
    const cf = format.frameSamples as 64 | 128;
    this.receiver = new StreamReceiver(format);
    try {
      this.encoder = serverEncoders.take(cf, ch, format.codedBytes);
    } catch (e) {
      this.receiver.close();
      throw e;
    }
    this.input = new Int16Array(serverFrame * ch);
    this.current = this.input;
    this.inputHalves = [this.input.subarray(0, (serverFrame / 2) * ch), this.input.subarray((serverFrame / 2) * ch)];
    this.convIn = new Int16Array(128 * ch);
    this.convInHalves = [this.convIn.subarray(0, 64 * ch), this.convIn.subarray(64 * ch)];
    this.mix = new Int16Array(serverFrame * ch);
    this.mixHalves = [this.mix.subarray(0, (serverFrame / 2) * ch), this.mix.subarray((serverFrame / 2) * ch)];
    this.convOut = new Int16Array(128 * ch);
    this.convOutHalves = [this.convOut.subarray(0, 64 * ch), this.convOut.subarray(64 * ch)];
    this.codedOut = new Uint8Array(format.codedBytes * format.factor);
    this.packets = [];
    for (let i = 0; i < OUT_RING; i++) this.packets.push(new Uint8Array(audioPacketBytes(format)));
    // Opus cannot fill every size a client may announce (a 64-sample frame tops out near 85 bytes per
    // channel): find out now, once, and refuse the format rather than fail on every tick.
    try {
      this.encoder.encode(new Int16Array(cf * ch), this.codedOut, 0);
    } catch (e) {
      this.close();
      throw e;
    }
    this.encoder.reset();
  }

  /** Auto sizing (AUTO_JITTER_BLOCKS, 21) or a fixed size 1…20 as the client asked; anything else is ignored. */
  setJitter(setting: number): void {
    this.receiver.setJitter(setting === JITTER.autoBlocks, setting === JITTER.autoBlocks ? JITTER.defaultBlocks : setting);
  }

  /**
   * Frees the receiver's native state now and hands the encoder back for reuse: the engine calls this when the
   * channel ends or changes format (its worker never runs finalizers).
   */
  close(): void {
    this.receiver.close();
    serverEncoders.give(this.encoder);
  }

  /** Puts every frame of a datagram of the right size into the jitter buffer; false if the size is wrong. */
  putPacket(packet: Uint8Array, length: number): boolean {
    return this.receiver.put(packet, length);
  }

  /** Decodes the next frame from the jitter buffer into out (PLC on a short underrun, then silence). Returns true on underrun. */
  decodeNext(out: Int16Array): boolean {
    const r = this.receiver.decodeNext(out);
    if ((r & DECODE_SIZE_CHANGED) !== 0) this.sizeChanged = true;
    if ((r & DECODE_UNDERRUN) === 0) {
      this.missing = 0;
      return false;
    }
    if (this.missing < MAX_CONCEALED_FRAMES) this.missing++;
    else out.fill(0);
    return true;
  }

  /** Encodes one client-sized frame; returns the finished datagram once `factor` frames are in, else null. */
  encodeFrame(pcm: Int16Array): Uint8Array | null {
    const f = this.format;
    this.encoder.encode(pcm, this.codedOut, this.codedOutFrames * f.codedBytes);
    if (++this.codedOutFrames < f.factor) return null;
    this.codedOutFrames = 0;
    const packet = this.packets[this.packetIndex]!;
    this.packetIndex = (this.packetIndex + 1) % OUT_RING;
    this.sendSeq = assembleAudioPacket(f, this.codedOut, this.sendSeq, packet);
    return packet;
  }
}

export class Channel {
  readonly id: number;
  /** The peer as the socket reports it: IPv4 as a host-order number, IPv6 as the socket's peer id. */
  readonly addr: number;
  /** The address as text ('203.0.113.7', '2001:db8::7'), for people and JSON-RPC. */
  readonly address: string;
  /** "203.0.113.7:22134" or "[2001:db8::7]:22134". */
  readonly endpoint: string;
  readonly port: number;
  readonly key: number;
  readonly link: ProtocolLink;
  readonly fade = new FadeIn();
  info: ChannelInfo = EMPTY_INFO;
  identified = false;
  /**
   * False while on probation: the address has not yet ACKed the first PROBATION_ACKS messages, so it may be
   * forged. Such a channel is heard by nobody, sent no audio or level list, absent from client lists, and is
   * sent no more bytes than it sent (bytesIn/bytesOut, wire bytes).
   */
  confirmed = false;
  probationAcks = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** performance.now() of the latest datagram from the address. */
  lastHeardMs: number;
  /** Starts at the probation time-out; the reference's 30 s once confirmed. */
  timeoutSamples = PROBATION_TIMEOUT_SAMPLES;
  audio: ChannelAudio | null = null;
  /** JITT_BUF_SIZE from the client: AUTO_JITTER_BLOCKS (21) or 1…20. Clients ask for auto by default. */
  jitterSetting: number = JITTER.autoBlocks;
  readonly meter = new LevelMeter();
  /** Level sent in the last CLM_CHANNEL_LEVEL_LIST, 0…9. */
  level = 0;
  readonly connectedAt = Date.now();
  /** Audio datagrams dropped because their size did not match the announced format. */
  wrongSizePackets = 0;
  underruns = 0;
  /** Acknowledged messages processed (CHANNEL_MESSAGE_BUDGET), and those that reach every other client. */
  readonly messageBudget: TokenBucket;
  readonly fanoutBudget: TokenBucket;

  constructor(id: number, addr: number, address: string, port: number, nowMs: number, link: (ch: Channel) => ProtocolLink) {
    this.id = id;
    this.lastHeardMs = nowMs;
    this.messageBudget = new TokenBucket(CHANNEL_MESSAGE_BUDGET, nowMs);
    this.fanoutBudget = new TokenBucket(CHANNEL_FANOUT_BUDGET, nowMs);
    this.addr = addr;
    this.address = address;
    this.endpoint = endpointText(address, port);
    this.port = port;
    this.key = channelKey(addr, port);
    this.link = link(this);
  }

  /** The channel ended: its audio state is freed, its encoder kept for the next channels. */
  release(): void {
    this.audio?.close();
    this.audio = null;
  }

  get autoJitter(): boolean {
    return this.jitterSetting === JITTER.autoBlocks;
  }

  /** Size in blocks the jitter buffer uses now (auto or manual). */
  get jitterBlocks(): number {
    return this.audio ? this.audio.receiver.size : this.autoJitter ? JITTER.autoStartBlocks : this.jitterSetting;
  }
}

/** Encoders kept for reuse: bounded by how many channels were ever alive at once. */
export function idleChannelState(): { encoders: number } {
  return { encoders: serverEncoders.idle };
}

/** One number per (IPv4, port): 48 bits, exact in a double, and no string built per datagram. */
export function channelKey(addr: number, port: number): number {
  return addr * 65536 + port;
}
