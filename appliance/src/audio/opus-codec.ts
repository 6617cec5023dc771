// The Opus custom codec as Jamulus uses it (protocol reference §3.1), and the one declaration
// of the coded frame sizes the reference client picks per quality (§3.2).
import { native, type NativeOpusCustomDecoder, type NativeOpusCustomEncoder } from './native.js';

export type FrameSamples = 64 | 128;
export type ChannelCount = 1 | 2;
export type AudioQuality = 'low' | 'normal' | 'high';

export const SAMPLE_RATE = 48000;

/**
 * Coded bytes per frame, without the sequence byte: [frameSamples][channels][quality].
 * 64 = OPUS64, 128 = OPUS. "Mono-in/stereo-out" uses the stereo entries.
 */
export const CODED_BYTES: Readonly<Record<FrameSamples, Readonly<Record<ChannelCount, Readonly<Record<AudioQuality, number>>>>>> = {
  64: {
    1: { low: 12, normal: 22, high: 36 },
    2: { low: 24, normal: 35, high: 73 },
  },
  128: {
    1: { low: 25, normal: 45, high: 82 },
    2: { low: 47, normal: 71, high: 165 },
  },
};

export function codedBytesFor(frameSamples: FrameSamples, channels: ChannelCount, quality: AudioQuality): number {
  return CODED_BYTES[frameSamples][channels][quality];
}

/** The quality whose size matches, if the reference client would send that size. */
export function qualityForCodedBytes(frameSamples: FrameSamples, channels: ChannelCount, codedBytes: number): AudioQuality | undefined {
  const row = CODED_BYTES[frameSamples][channels];
  return (Object.keys(row) as AudioQuality[]).find((q) => row[q] === codedBytes);
}

export interface OpusCustomEncoder extends NativeOpusCustomEncoder {
  readonly frameSamples: FrameSamples;
  readonly channels: ChannelCount;
}

export interface OpusCustomDecoder extends NativeOpusCustomDecoder {
  readonly frameSamples: FrameSamples;
  readonly channels: ChannelCount;
}

/**
 * CBR encoder with the reference's settings. encode() reads frameSamples*channels interleaved
 * samples and writes exactly codedBytes bytes at outOffset; it allocates nothing.
 */
export const OpusCustomEncoder = native.OpusCustomEncoder as new (
  frameSamples: FrameSamples,
  channels: ChannelCount,
  codedBytes: number,
) => OpusCustomEncoder;

/**
 * decode(null, 0, 0, out) conceals a lost frame. Returns the samples per channel written into
 * out, or a negative opus error code for bytes it cannot decode (never throws on data).
 */
export const OpusCustomDecoder = native.OpusCustomDecoder as new (
  frameSamples: FrameSamples,
  channels: ChannelCount,
) => OpusCustomDecoder;

/** The linked libopus, e.g. "libopus 1.3.1" (bundled) or "libopus 1.5.2" (system). */
export function opusVersion(): string {
  return native.opusVersion();
}
