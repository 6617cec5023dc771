// What a directory registration can come to: Jamulus's status strings (§8.3), the directory's answers that map
// onto them, and the snapshot of the registration the registrar reports over JSON-RPC.

/** Jamulus's `registrationStatus` strings (§8.3), in the order of its ESvrRegStatus. */
export type RegistrationStatus =
  | 'not_registered'
  | 'bad_address'
  | 'requested'
  | 'time_out'
  | 'unknown_resp'
  | 'registered'
  | 'directory_server_full'
  | 'server_version_too_old'
  | 'requirements_not_fulfilled';

/** CLM_REGISTER_SERVER_RESP result → status. Any other value is `unknown_resp` (our decoder drops those first). */
export const RESPONSE_STATUS: Readonly<Record<number, RegistrationStatus>> = Object.freeze({
  0: 'registered',
  1: 'directory_server_full',
  2: 'server_version_too_old',
  3: 'requirements_not_fulfilled',
});

/** Statuses of a failed attempt: reported on every failure, not only when the status changes. */
export const FAILED_STATUSES: ReadonlySet<RegistrationStatus> = new Set([
  'bad_address',
  'time_out',
  'unknown_resp',
  'directory_server_full',
  'server_version_too_old',
  'requirements_not_fulfilled',
]);

export interface RegistrationSnapshot {
  status: RegistrationStatus;
  /** `host:port` registered with, '' when not registering. */
  directory: string;
  /** The resolved directory address, '' before resolution. */
  directoryIp: string;
  directoryPort: number;
  lastError: string | null;
  /** Consecutive failed attempts (reset by a successful registration). */
  failures: number;
  /** ISO time of the next retry after a failure, or null. */
  nextRetryAt: string | null;
  nextRetryInMs: number | null;
  /** ISO time since which we are continuously registered, or null. */
  registeredSince: string | null;
  permanent: boolean;
  /** The internal address field last sent. */
  internalAddress: string;
  /** Registration datagrams sent in total (REGISTER_SERVER_EX). */
  registrationsSent: number;
}
