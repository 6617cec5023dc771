// How the port mapper paces itself. Production values below; the network tests shorten them through
// RIFFBOX_PORTMAP_TIMINGS (env-timings.ts) to see renewals and back-offs within seconds.
import { timingsFrom } from '../env-timings.js';

export interface MapperTimings {
  /** Lease asked for. RFC 6886 §3.3 recommends 7200 s; an hour lets a crashed box's mapping go sooner. */
  leaseS: number;
  /** How often to ask the router whether it still has the mapping (a restarted router has lost it). */
  checkMs: number;
  /** How long to wait for SSDP answers when looking for a UPnP router. */
  searchMs: number;
  /** First wait after a failed attempt; doubled per further failure up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export const DEFAULT_MAPPER_TIMINGS: Readonly<MapperTimings> = Object.freeze({
  leaseS: 3600,
  // One small request to the LAN router every 20 s: a restarted router is noticed within that.
  checkMs: 20_000,
  searchMs: 2500,
  retryBaseMs: 15_000,
  retryMaxMs: 5 * 60_000,
});

export function mapperTimingsFromEnv(value: string | undefined): MapperTimings {
  return timingsFrom('RIFFBOX_PORTMAP_TIMINGS', value, DEFAULT_MAPPER_TIMINGS);
}
