// Timings of the client's connection handling. Jamulus's own values where it has one (§5, §7); riffbox's
// choices otherwise, with the reason.

/** CLM_PING_MS to the server (PING_UPDATE_TIME_MS). */
export const PING_INTERVAL_MS = 500;
/** Gain/pan changes are coalesced (DEFAULT_GAIN_DELAY_PERIOD_MS), or twice the ping when that is ≥ 25 ms. */
export const GAIN_DELAY_MS = 50;
/** Stop audio, wait this long, then CLM_DISCONNECTION, as the reference client does (§5.1). */
export const DISCONNECT_GRACE_MS = 100;
/**
 * Server loss: Jamulus waits 30 s without audio. A server streams to every identified client on every
 * tick and never pauses while the channel exists (§3.6), so 4 s of silence already means it is gone;
 * riffbox reconnects after that instead of leaving the musician in silence for 30 s.
 */
export const SERVER_SILENCE_MS = 4000;
/** A connection attempt that has not brought server audio by then is given up and retried later. */
export const CONNECT_TIMEOUT_MS = 8000;
/** Reconnection back-off: doubled after every failed attempt, reset once connected. */
export const RETRY_INITIAL_MS = 1000;
export const RETRY_MAX_MS = 30000;
/**
 * How often time-outs, retransmissions (400 ms) and connection retries are looked at while one is pending.
 * Nothing per period happens on this thread, so a tenth of a second is fine-grained enough.
 */
export const HOUSEKEEPING_BUSY_MS = 100;
/**
 * Otherwise housekeeping runs at the ping's cadence, which also bounds how late the server-silence check and
 * the device watch notice something: every wake-up of this thread costs more than the work it does.
 */
export const HOUSEKEEPING_IDLE_MS = PING_INTERVAL_MS;
/** Answers to server audio while not connected (the reference sends CLM_DISCONNECTION) are rate-limited. */
export const STRAY_REPLY_MS = 200;
/** Versions that enable pan messages and sequence numbers (§4.12, §3.4). */
export const PAN_SINCE = [3, 5, 4] as const;
export const SEQUENCE_SINCE = [3, 6, 0] as const;

/** Qt-style version comparison on the leading numeric components ("3.9.1", "4.0.0beta2" → 4.0.0). */
export function versionAtLeast(version: string, min: readonly number[]): boolean {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version.trim());
  if (!m) return false;
  const v = [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
  for (let i = 0; i < 3; i++) {
    const a = v[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}
