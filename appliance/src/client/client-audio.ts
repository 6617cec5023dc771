// The client's audio stream in one negotiated format (protocol §3): encoder and decoder, jitter buffer
// with its auto-sizer, and every buffer a period needs, allocated here once per format so the period
// itself allocates nothing.
import {
  CODEC,
  audioFrameOffset,
  audioFrameSequence,
  audioPacketBytes,
  assembleAudioPacket,
  propsFromFormat,
  type AudioFormat,
  type TransportProps,
} from '../protocol/index.js';
import { JitterBuffer } from '../audio/jitter-buffer.js';
import { JitterAutoSize } from '../audio/jitter-auto-size.js';
import { OpusCustomDecoder, OpusCustomEncoder, codedBytesFor, type AudioQuality } from '../audio/opus-codec.js';
import type { ChannelsMode } from './client-options.js';

const OUT_RING = 4;

/** The format the reference client would declare: one codec frame per period, factor 1. */
export function clientFormat(frames: 64 | 128, channels: ChannelsMode, quality: AudioQuality, sequence: boolean): AudioFormat {
  const streamChannels = channels === 'mono' ? 1 : 2;
  return {
    codec: frames === 64 ? CODEC.OPUS64 : CODEC.OPUS,
    frameSamples: frames,
    channels: streamChannels,
    codedBytes: codedBytesFor(frames, streamChannels, quality),
    factor: 1,
    sequence,
  };
}

export class ClientAudio {
  readonly format: AudioFormat;
  readonly props: TransportProps;
  readonly jitter: JitterBuffer;
  readonly auto: JitterAutoSize;
  private readonly encoder: InstanceType<typeof OpusCustomEncoder>;
  private readonly decoder: InstanceType<typeof OpusCustomDecoder>;
  /** Stream-side PCM (frames × stream channels): what is encoded, and what was decoded. */
  readonly send: Int16Array;
  readonly received: Int16Array;
  readonly silence: Int16Array;
  private readonly coded: Uint8Array;
  private readonly frameIn: Uint8Array;
  /** Datagrams rotate through a small ring so a queued send never sees its bytes overwritten. */
  private readonly packets: Uint8Array[] = [];
  private packetIndex = 0;
  private sendSeq = 0;
  packetsOut = 0;
  packetsIn = 0;
  wrongSize = 0;
  underruns = 0;

  constructor(format: AudioFormat, jitterAuto: boolean, jitterSize: number) {
    this.format = format;
    this.props = propsFromFormat(format);
    const ch = format.channels as 1 | 2;
    const frames = format.frameSamples as 64 | 128;
    this.jitter = new JitterBuffer({ maxBlockBytes: format.codedBytes });
    this.jitter.reset(format.codedBytes, format.sequence);
    this.auto = new JitterAutoSize(frames, format.sequence);
    this.jitter.setSize(jitterAuto ? this.auto.currentSize : jitterSize);
    this.encoder = new OpusCustomEncoder(frames, ch, format.codedBytes);
    this.decoder = new OpusCustomDecoder(frames, ch);
    this.send = new Int16Array(frames * ch);
    this.received = new Int16Array(frames * ch);
    this.silence = new Int16Array(frames * ch);
    this.coded = new Uint8Array(format.codedBytes * format.factor);
    this.frameIn = new Uint8Array(format.codedBytes);
    for (let i = 0; i < OUT_RING; i++) this.packets.push(new Uint8Array(audioPacketBytes(format)));
  }

  /** Encodes one period into a datagram (factor is always 1 here) and returns it. */
  encode(pcm: Int16Array): Uint8Array {
    this.encoder.encode(pcm, this.coded, 0);
    const packet = this.packets[this.packetIndex]!;
    this.packetIndex = (this.packetIndex + 1) % OUT_RING;
    this.sendSeq = assembleAudioPacket(this.format, this.coded, this.sendSeq, packet);
    this.packetsOut++;
    return packet;
  }

  /** Files a datagram from the server into the jitter buffer; false when its size is not ours. */
  put(packet: Uint8Array, length: number, auto: boolean): boolean {
    const f = this.format;
    if (length !== audioPacketBytes(f)) {
      this.wrongSize++;
      return false;
    }
    this.packetsIn++;
    for (let i = 0; i < f.factor; i++) {
      const seq = audioFrameSequence(f, packet, i);
      this.jitter.put(packet, audioFrameOffset(f, i), f.codedBytes, seq);
      if (auto) this.auto.onPut(seq);
    }
    return true;
  }

  /**
   * Decodes the next frame into `received` (concealment on underrun). With auto sizing on, returns
   * true when the auto-sizer moved, so the caller resizes the buffer.
   */
  decodeNext(auto: boolean): boolean {
    const n = this.jitter.get(this.frameIn);
    const moved = auto ? this.auto.onGet() : false;
    if (n > 0 && this.decoder.decode(this.frameIn, 0, n, this.received) > 0) return moved;
    this.underruns++;
    this.decoder.decode(null, 0, 0, this.received);
    return moved;
  }
}
