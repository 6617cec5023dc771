// How the directory registrar paces itself: Jamulus's own intervals, and the back-off after a failure.
// The network tests shorten them through RIFFBOX_REGISTRATION_TIMINGS (env-timings.ts).
import { timingsFrom } from '../env-timings.js';

export interface RegistrarTimings {
  /** REGISTER_SERVER_TIME_OUT_MS: wait this long for CLM_REGISTER_SERVER_RESP before sending again. */
  responseTimeoutMs: number;
  /** REGISTER_SERVER_RETRY_LIMIT: sends per attempt before the status becomes time_out. */
  maxSends: number;
  /** SERVLIST_REGIST_INTERV_MINUTES: refresh the entry (directories drop entries older than 33 min). */
  reregisterMs: number;
  /** SERVLIST_UPDATE_PING_SERVERS_MS: CLM_EMPTY_MESSAGE to the directory keeps our NAT mapping open. */
  keepAliveMs: number;
  /** SERVLIST_TIME_PERMSERV_MINUTES: continuous registration after which the permanent flag is sent. */
  permanentAfterMs: number;
  /** First retry after a failed attempt; doubled per further failure up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export const DEFAULT_TIMINGS: Readonly<RegistrarTimings> = Object.freeze({
  responseTimeoutMs: 500,
  maxSends: 5,
  reregisterMs: 15 * 60_000,
  keepAliveMs: 59_000,
  permanentAfterMs: 48 * 3600_000,
  // Jamulus itself only tries again at the next 15-minute re-registration. A refusal (full list,
  // whitelist, version) will not change within seconds, and a lost directory should not be flooded, so:
  // 30 s, 1, 2, 4, 8 min, then every 15 min — the first retry soon enough to ride out a router reboot.
  retryBaseMs: 30_000,
  retryMaxMs: 15 * 60_000,
});

/**
 * Timings from `RIFFBOX_REGISTRATION_TIMINGS="keepAliveMs=1000,retryBaseMs=500"`: the network tests
 * shorten the router's conntrack timeout and the backoff so that minutes of behaviour run in seconds.
 */
export function timingsFromEnv(value: string | undefined): RegistrarTimings {
  return timingsFrom('RIFFBOX_REGISTRATION_TIMINGS', value, DEFAULT_TIMINGS);
}
