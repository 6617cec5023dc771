// The frame period at 48 kHz: the server's tick and the client's period (64 or 128 samples).

/** 64-sample frames at 48 kHz: 750 ticks/s. */
const TICK_PERIOD_NS_64 = 1e9 / 750;
/** 128-sample frames at 48 kHz: 375 ticks/s. */
const TICK_PERIOD_NS_128 = 1e9 / 375;

export function tickPeriodNs(frameSamples: 64 | 128): number {
  return frameSamples === 64 ? TICK_PERIOD_NS_64 : TICK_PERIOD_NS_128;
}
