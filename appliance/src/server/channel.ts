// One server channel slot: a connected client's address, protocol link, negotiated audio format, and the
// preallocated buffers its audio needs on every tick. Buffers are (re)allocated only when the client
// announces a new format (NETW_TRANSPORT_PROPS), never on the tick.
import { ProtocolLink, audioPacketBytes, assembleAudioPacket, type AudioFormat, type ChannelInfo } from '../protocol/index.js';
import { JITTER, StreamReceiver, DECODE_UNDERRUN, DECODE_SIZE_CHANGED } from '../audio/jitter-buffer.js';
import { FadeIn } from '../audio/fade-in.js';
import { LevelMeter } from '../audio/level-meter.js';
import { OpusCustomEncoder } from '../audio/opus-codec.js';
import { CHANNEL_TIMEOUT_SAMPLES } from './server-facts.js';
import { endpointText } from '../net/udp-socket.js';

const OUT_RING = 4;

export const EMPTY_INFO: Readonly<ChannelInfo> = Object.freeze({ country: 0, instrument: 0, skill: 0, name: '', city: '' });

/** Audio state that exists once a client announced an Opus format. */
export class ChannelAudio {
  readonly format: AudioFormat;
  /** Jitter buffer, its auto-sizer and the decoder, in the addon (the same code as the client's). */
  readonly receiver: StreamReceiver;
  /** The auto-sizer moved the buffer since the engine last told the client (JITT_BUF_SIZE). */
  sizeChanged = false;
  readonly encoder: InstanceType<typeof OpusCustomEncoder>;
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

  constructor(format: AudioFormat, serverFrame: 64 | 128) {
    this.format = format;
    const ch = format.channels as 1 | 2;
    const cf = format.frameSamples as 64 | 128;
    this.receiver = new StreamReceiver(format);
    this.encoder = new OpusCustomEncoder(cf, ch, format.codedBytes);
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
    this.encoder.encode(new Int16Array(cf * ch), this.codedOut, 0);
    this.encoder.reset();
  }

  /** Auto sizing (AUTO_JITTER_BLOCKS, 21) or a fixed size 1…20 as the client asked; anything else is ignored. */
  setJitter(setting: number): void {
    this.receiver.setJitter(setting === JITTER.autoBlocks, setting === JITTER.autoBlocks ? JITTER.defaultBlocks : setting);
  }

  /** Frees the receiver's native state now: the engine calls this when the channel ends or changes format. */
  close(): void {
    this.receiver.close();
  }

  /** Puts every frame of a datagram of the right size into the jitter buffer; false if the size is wrong. */
  putPacket(packet: Uint8Array, length: number): boolean {
    return this.receiver.put(packet, length);
  }

  /** Decodes the next frame from the jitter buffer into out (PLC on underrun). Returns true on underrun. */
  decodeNext(out: Int16Array): boolean {
    const r = this.receiver.decodeNext(out);
    if ((r & DECODE_SIZE_CHANGED) !== 0) this.sizeChanged = true;
    return (r & DECODE_UNDERRUN) !== 0;
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
  timeoutSamples = CHANNEL_TIMEOUT_SAMPLES;
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

  constructor(id: number, addr: number, address: string, port: number, link: (ch: Channel) => ProtocolLink) {
    this.id = id;
    this.addr = addr;
    this.address = address;
    this.endpoint = endpointText(address, port);
    this.port = port;
    this.key = channelKey(addr, port);
    this.link = link(this);
  }

  get autoJitter(): boolean {
    return this.jitterSetting === JITTER.autoBlocks;
  }

  /** Size in blocks the jitter buffer uses now (auto or manual). */
  get jitterBlocks(): number {
    return this.audio ? this.audio.receiver.size : this.autoJitter ? JITTER.autoStartBlocks : this.jitterSetting;
  }
}

/** One number per (IPv4, port): 48 bits, exact in a double, and no string built per datagram. */
export function channelKey(addr: number, port: number): number {
  return addr * 65536 + port;
}
