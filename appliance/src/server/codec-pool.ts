// Opus custom encoders for the engine's channels, handed back when a channel ends or changes format and handed
// out again, instead of dropped. The engine's worker never returns to its event loop, and Node runs a native
// object's finalizer from there, so a dropped encoder would never free its native state: measured before the
// receive side moved into StreamReceiver (whose close() frees it), 1 000 connections grew the server by
// ≈ 50 MB. Reusing them also spares the receive path an Opus allocation each time a client announces a format.
import { OpusCustomEncoder, type ChannelCount, type FrameSamples } from '../audio/opus-codec.js';

const slot = (frames: FrameSamples, channels: ChannelCount): number => (frames === 64 ? 0 : 2) + channels - 1;

export class EncoderPool {
  private readonly idleBySlot: OpusCustomEncoder[][] = [[], [], [], []];

  /** An encoder set to `codedBytes`, in a fresh state. Throws like OpusCustomEncoder for a size out of range. */
  take(frames: FrameSamples, channels: ChannelCount, codedBytes: number): OpusCustomEncoder {
    const e = this.idleBySlot[slot(frames, channels)]!.pop();
    if (!e) return new OpusCustomEncoder(frames, channels, codedBytes);
    try {
      e.setCodedBytes(codedBytes);
    } catch (err) {
      this.give(e);
      throw err;
    }
    e.reset();
    return e;
  }

  give(encoder: OpusCustomEncoder): void {
    this.idleBySlot[slot(encoder.frameSamples, encoder.channels)]!.push(encoder);
  }

  /** Encoders waiting to be handed out again. */
  get idle(): number {
    return this.idleBySlot.reduce((n, list) => n + list.length, 0);
  }
}

/** The pool the server's channels share (one engine per worker, so one pool per worker). */
export const serverEncoders = new EncoderPool();
