// Server-side facts of the reference behaviour (protocol reference §4), declared once.

/**
 * Version announced in VERSION_AND_OS. Clients enable sequence numbers for ≥ 3.6.0 and pan for ≥ 3.5.4, and
 * 3.6 clients drop version strings over 20 characters, so a plain numeric version of the feature set we
 * implement is the safe choice (§4.12).
 */
export const ANNOUNCED_VERSION = '3.9.1';
/** OS byte of VERSION_AND_OS: 2 = Linux. */
export const ANNOUNCED_OS = 2;
/** Channel time-out (CON_TIME_OUT_SEC_MAX), counted in samples consumed by the tick like the reference. */
export const CHANNEL_TIMEOUT_SAMPLES = 30 * 48000;
/** A CLM_DISCONNECTION leaves this much time-out: the channel is freed at the next tick unless audio arrives. */
export const DISCONNECT_TIMEOUT_SAMPLES = 1;
/** CLM_CHANNEL_LEVEL_LIST cadence: the counter advances per 64 samples and fires when it exceeds 200 (§4.6). */
export const LEVEL_INTERVAL_64 = 200;
/** Prefix clients may rely on (WELCOME_MESSAGE_PREFIX). */
export const WELCOME_PREFIX = '<b>Server Welcome Message:</b> ';
/** Chat name colours, cycled by channel id (§4.7). */
export const CHAT_COLOURS = ['mediumblue', 'red', 'darkorchid', 'green', 'maroon', 'coral'] as const;
/** Most ticks run in one timer callback when the thread fell behind; the rest are dropped and counted. */
export const MAX_CATCH_UP_TICKS = 4;
