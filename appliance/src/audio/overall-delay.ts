// "Overall delay" estimate a Jamulus client shows next to the ping (protocol §5.4). Purely local
// arithmetic; the client reports it so users can compare with the reference client.

const SAMPLE_RATE = 48000;
/** Jitter buffers usually run a little larger than the jitter they absorb. */
const JITTER_BUFFER_FACTOR = 0.7;

interface OverallDelayInput {
  /** Round-trip time from CLM_PING_MS, in ms. */
  pingMs: number;
  /** Codec frame length in samples (64 for OPUS64, 128 for OPUS). */
  codecFrameSamples: number;
  /** Samples collected before a network packet can be sent (the sound-card block, usually). */
  packetFillSamples: number;
  /** Client-side jitter buffer in blocks. */
  clientJitterBlocks: number;
  /** Server-side jitter buffer in blocks (as last reported/requested). */
  serverJitterBlocks: number;
  /** Measured sound-card input+output latency in ms, when the audio layer knows it. */
  soundCardLatencyMs?: number;
  /** Sound-card period in samples; used when the latency is unknown. */
  soundCardPeriodSamples: number;
  /** Periods the output is kept filled to (2 unless the device needed more after underruns). */
  playbackPeriods?: number;
  /** Extra delay of a conversion buffer between sound-card and codec blocks, in samples. */
  conversionBufferSamples?: number;
}

/** Estimated mouth-to-ear delay in whole ms. */
export function overallDelayMs(p: OverallDelayInput): number {
  const frameMs = (p.codecFrameSamples * 1000) / SAMPLE_RATE;
  const jitterMs = frameMs * (p.clientJitterBlocks + p.serverJitterBlocks) * JITTER_BUFFER_FACTOR;
  let soundCardMs = ((p.conversionBufferSamples ?? 0) * 1000) / SAMPLE_RATE;
  if (p.soundCardLatencyMs !== undefined && p.soundCardLatencyMs > 0) {
    soundCardMs += p.soundCardLatencyMs;
  } else {
    // Two periods on the way in; on the way out, the fill kept less the period being written.
    const out = Math.max(1, (p.playbackPeriods ?? 2) - 1);
    soundCardMs += ((2 + out) * p.soundCardPeriodSamples * 1000) / SAMPLE_RATE;
  }
  const fillMs = (p.packetFillSamples * 1000) / SAMPLE_RATE;
  // Opus adds about half a frame of look-ahead at these frame sizes.
  const codecMs = frameMs / 2;
  return Math.round(fillMs + jitterMs + soundCardMs + codecMs + p.pingMs);
}
