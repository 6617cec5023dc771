// The 7-byte header + payload + CRC framing, and the audio-vs-protocol rule (§1.2–1.4).
import { FRAME_HEADER_BYTES, FRAME_OVERHEAD_BYTES } from './constants.js';
import { crc16 } from './crc.js';

export type FrameErrorReason = 'too-short' | 'nonzero-tag' | 'length-mismatch' | 'bad-crc';

export interface Frame {
  id: number;
  counter: number;
  /** View into the datagram (not a copy): decode it before the buffer is reused. */
  payload: Uint8Array;
}

export type FrameResult = ({ ok: true } & Frame) | { ok: false; reason: FrameErrorReason; error: string };

const hex4 = (v: number): string => `0x${v.toString(16).padStart(4, '0')}`;

/**
 * Why buf[0, length) is not a protocol frame, or null when it is one. Checks in the reference's order:
 * length ≥ 9, zero tag, length field = length − 9, CRC.
 */
function frameError(buf: Uint8Array, length: number): FrameResult | null {
  if (length < FRAME_OVERHEAD_BYTES) {
    return { ok: false, reason: 'too-short', error: `frame too short: ${length} bytes, minimum is ${FRAME_OVERHEAD_BYTES}` };
  }
  if (buf[0] !== 0 || buf[1] !== 0) {
    return { ok: false, reason: 'nonzero-tag', error: `non-zero tag ${hex4(buf[0]! | (buf[1]! << 8))}` };
  }
  const n = buf[5]! | (buf[6]! << 8);
  if (n !== length - FRAME_OVERHEAD_BYTES) {
    return {
      ok: false,
      reason: 'length-mismatch',
      error: `length field says ${n} payload bytes but the frame carries ${length - FRAME_OVERHEAD_BYTES}`,
    };
  }
  const carried = buf[length - 2]! | (buf[length - 1]! << 8);
  const computed = crc16(buf, 0, length - 2);
  if (carried !== computed) {
    return { ok: false, reason: 'bad-crc', error: `bad CRC: frame carries ${hex4(carried)}, computed ${hex4(computed)}` };
  }
  return null;
}

/**
 * The reference's rule: a datagram is a protocol message iff all four checks pass; anything else is audio
 * (even a protocol frame with a bad CRC — on a server that creates a channel). Allocation-free.
 */
export function isProtocolFrame(buf: Uint8Array, length = buf.length): boolean {
  if (length < FRAME_OVERHEAD_BYTES || buf[0] !== 0 || buf[1] !== 0) return false;
  if ((buf[5]! | (buf[6]! << 8)) !== length - FRAME_OVERHEAD_BYTES) return false;
  return (buf[length - 2]! | (buf[length - 1]! << 8)) === crc16(buf, 0, length - 2);
}

/** Splits a datagram into id, counter and payload view; never throws. */
export function parseFrame(buf: Uint8Array, length = buf.length): FrameResult {
  const err = frameError(buf, length);
  if (err) return err;
  return {
    ok: true,
    id: buf[2]! | (buf[3]! << 8),
    counter: buf[4]!,
    payload: buf.subarray(FRAME_HEADER_BYTES, length - 2),
  };
}

/**
 * Writes header and CRC around a payload already placed at buf[offset + 7 …]; returns the frame length.
 */
export function writeFrame(buf: Uint8Array, offset: number, id: number, counter: number, payloadLength: number): number {
  buf[offset] = 0;
  buf[offset + 1] = 0;
  buf[offset + 2] = id & 0xff;
  buf[offset + 3] = id >>> 8;
  buf[offset + 4] = counter & 0xff;
  buf[offset + 5] = payloadLength & 0xff;
  buf[offset + 6] = payloadLength >>> 8;
  const end = offset + FRAME_HEADER_BYTES + payloadLength;
  const crc = crc16(buf, offset, end);
  buf[end] = crc & 0xff;
  buf[end + 1] = crc >>> 8;
  return FRAME_OVERHEAD_BYTES + payloadLength;
}

/** A new frame around a ready payload (e.g. a forwarded or raw payload). */
export function buildFrame(id: number, counter: number, payload: Uint8Array): Uint8Array {
  const buf = new Uint8Array(FRAME_OVERHEAD_BYTES + payload.length);
  buf.set(payload, FRAME_HEADER_BYTES);
  writeFrame(buf, 0, id, counter, payload.length);
  return buf;
}
