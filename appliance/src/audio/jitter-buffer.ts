// The jitter buffer (protocol §3.5) with its auto-sizer, and the stream receiver built on them, all in the
// addon (appliance/native/src/jitter_buffer.cc, jitter_auto_size.cc, stream_receiver.cc): the server's
// channels use it through StreamReceiver, the client's real-time path uses the same C++ in its own thread,
// so the policy exists once. JitterBuffer and JitterAutoSize drive that policy event by event.
import { native, type NativeJitterAutoSize, type NativeJitterBuffer, type NativeStreamReceiver } from './native.js';
import type { AudioFormat } from '../protocol/index.js';

/**
 * Sizes in blocks (one coded frame each) as the addon declares them: `minBlocks`…`maxBlocks` for a fixed size,
 * `defaultBlocks`, `autoBlocks` (21, the JITT_BUF_SIZE value that means "auto"), and the auto-sizer's
 * range `autoMinBlocks`…`autoMaxBlocks` with its start `autoStartBlocks`.
 */
export const JITTER = native.jitter;

/** StreamReceiver.decodeNext result bits. */
export const DECODE_UNDERRUN = 1;
export const DECODE_SIZE_CHANGED = 2;

/**
 * One incoming stream: put(packet, length) files every frame of a datagram (false when its length is not the
 * format's); decodeNext(out) decodes the next frame, concealing a missing one, and returns DECODE_UNDERRUN
 * and/or DECODE_SIZE_CHANGED; setJitter(auto, fixedBlocks) chooses auto sizing or a fixed size (out of range:
 * unchanged). Neither put nor decodeNext allocates or throws on data. close() frees its native state at once (a
 * worker that never returns to its event loop never runs finalizers); afterwards it takes nothing and plays
 * silence.
 */
export type StreamReceiver = NativeStreamReceiver;
export const StreamReceiver = native.StreamReceiver as new (format: AudioFormat) => StreamReceiver;

interface JitterBufferOptions {
  /** Largest coded frame the buffer must hold (bytes, without the sequence byte). */
  maxBlockBytes: number;
  /** Upper bound for setSize (default 20); storage for this many blocks is allocated up front. */
  maxBlocks?: number;
  /** Initial size in blocks (default 10). */
  size?: number;
}

/**
 * Jitter buffer of coded frames with preallocated storage. reset(blockBytes, sequenced) empties it for a new
 * format; put(src, offset, length, seq) stores a frame (seq −1 without sequence numbers); get(dst) copies the
 * next one and returns its length, 0 on an underrun; setSize(n) keeps content where possible.
 */
export type JitterBuffer = NativeJitterBuffer;
export const JitterBuffer = native.JitterBuffer as new (options: JitterBufferOptions) => JitterBuffer;

/**
 * Ten data-less copies of the buffer's policy, sized 2…11, seeing the same put/get events; currentSize is
 * the smallest size whose error rate stays under a bound, smoothed (starts at 6). onGet() returns true when
 * it moved; `changed` stays set until the owner clears it.
 */
export type JitterAutoSize = NativeJitterAutoSize;
export const JitterAutoSize = native.JitterAutoSize as new (frameSamples?: 64 | 128, sequenced?: boolean) => JitterAutoSize;
