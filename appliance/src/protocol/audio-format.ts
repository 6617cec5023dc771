// Audio packet format as negotiated with NETW_TRANSPORT_PROPS (§3.1–3.4), and allocation-free helpers
// to take an audio datagram apart and to assemble one.
import type { TransportProps } from './records.js';

/** Codec ids as carried in NETW_TRANSPORT_PROPS. */
export const CODEC = { NONE: 0, CELT: 1, OPUS: 2, OPUS64: 3 } as const;
export type CodecId = (typeof CODEC)[keyof typeof CODEC];
export const CODEC_NAMES: Readonly<Record<number, string>> = { 0: 'NONE', 1: 'CELT', 2: 'OPUS', 3: 'OPUS64' };

export interface AudioFormat {
  /** CODEC.OPUS (128-sample frames) or CODEC.OPUS64 (64-sample frames). */
  codec: CodecId;
  /** 128 for OPUS, 64 for OPUS64. */
  frameSamples: number;
  /** 1 or 2. */
  channels: number;
  /** Coded bytes of one frame, without the sequence byte. */
  codedBytes: number;
  /** Frames per datagram: 1, 2 or 4. */
  factor: number;
  /** A 1-byte sequence number follows each frame. */
  sequence: boolean;
}

export const SAMPLE_RATE = 48000;

/** Samples per coded frame of a codec id (OPUS64 64, anything else 128). */
export function frameSamplesOf(codec: number): number {
  return codec === CODEC.OPUS64 ? 64 : 128;
}

/** Bytes of one frame on the wire including the optional sequence byte (the "base network frame size"). */
export function frameStride(f: AudioFormat): number {
  return f.codedBytes + (f.sequence ? 1 : 0);
}

/** Exact datagram size for this format; any other non-protocol datagram is dropped by the receiver. */
export function audioPacketBytes(f: AudioFormat): number {
  return frameStride(f) * f.factor;
}

/**
 * The format a NETW_TRANSPORT_PROPS describes. The sequence flag counts only when the field equals 1, as in
 * the reference. CELT props give a format with codec CELT; a server answers those with OPUS_SUPPORTED.
 */
export function formatFromProps(p: TransportProps): AudioFormat {
  const sequence = p.flags === 1;
  return {
    codec: p.codec as CodecId,
    frameSamples: frameSamplesOf(p.codec),
    channels: p.channels,
    codedBytes: p.frameBytes - (sequence ? 1 : 0),
    factor: p.factor,
    sequence,
  };
}

/** NETW_TRANSPORT_PROPS announcing this format. */
export function propsFromFormat(f: AudioFormat): TransportProps {
  return {
    frameBytes: frameStride(f),
    factor: f.factor,
    channels: f.channels,
    sampleRate: SAMPLE_RATE,
    codec: f.codec,
    flags: f.sequence ? 1 : 0,
    codecArg: 0,
  };
}

/** Offset of frame i's coded bytes inside a datagram. */
export function audioFrameOffset(f: AudioFormat, i: number): number {
  return i * frameStride(f);
}

/** Sequence byte of frame i, or -1 when the format has none. */
export function audioFrameSequence(f: AudioFormat, packet: Uint8Array, i: number): number {
  return f.sequence ? packet[i * frameStride(f) + f.codedBytes]! : -1;
}

/**
 * Copies the coded bytes of every frame of `packet` back-to-back into `coded` (factor × codedBytes bytes) and
 * the sequence bytes into `sequences` (if the format has them). Returns false (and copies nothing) when the
 * length does not match the format.
 */
export function splitAudioPacket(
  f: AudioFormat,
  packet: Uint8Array,
  length: number,
  coded: Uint8Array,
  sequences?: Uint8Array,
): boolean {
  if (length !== audioPacketBytes(f)) return false;
  const stride = frameStride(f);
  for (let i = 0; i < f.factor; i++) {
    const at = i * stride;
    copyBytes(packet, at, coded, i * f.codedBytes, f.codedBytes);
    if (f.sequence && sequences) sequences[i] = packet[at + f.codedBytes]!;
  }
  return true;
}

/**
 * Writes a datagram into `out` from `coded` (factor frames of codedBytes back-to-back), numbering frames from
 * `firstSequence`. Returns the next sequence number (mod 256) to use; the datagram length is
 * audioPacketBytes(f).
 */
export function assembleAudioPacket(f: AudioFormat, coded: Uint8Array, firstSequence: number, out: Uint8Array): number {
  const stride = frameStride(f);
  let seq = firstSequence & 0xff;
  for (let i = 0; i < f.factor; i++) {
    const at = i * stride;
    copyBytes(coded, i * f.codedBytes, out, at, f.codedBytes);
    if (f.sequence) {
      out[at + f.codedBytes] = seq;
      seq = (seq + 1) & 0xff;
    }
  }
  return seq;
}

// A plain loop instead of set(subarray()): subarray allocates a view object on every call, and these run
// on the audio path for every datagram.
function copyBytes(src: Uint8Array, from: number, dst: Uint8Array, to: number, n: number): void {
  for (let k = 0; k < n; k++) dst[to + k] = src[from + k]!;
}
