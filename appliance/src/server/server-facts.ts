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

// ---- What riffbox adds to the reference's behaviour, so that a forged source address gets little. ----

/**
 * A new channel is on probation until its address has ACKed this many messages. The first ones (CLIENT_ID,
 * the empty CONN_CLIENTS_LIST, RECORDER_STATE) need no answer from a client other than the ACK, and go out
 * with unpredictable counters, so only the real owner of the address can ACK them: 24 bits a forger must guess.
 */
export const PROBATION_ACKS = 3;
/** A channel on probation is freed this long after it was created unless confirmed; its audio does not extend it. */
export const PROBATION_TIMEOUT_SAMPLES = 5 * 48000;
/**
 * With every slot taken, a newcomer may take the slot of a channel on probation that has sent nothing for
 * this long: a real client sends audio every few milliseconds, a forged one-off datagram never again.
 */
export const PROBATION_EVICT_SILENCE_MS = 100;
/** IPv4 and UDP headers: what a datagram costs on the wire beyond its payload, for the byte budgets. */
export const UDP_IPV4_OVERHEAD_BYTES = 28;
/**
 * Connection-less replies (pings, version, client list, server full) per source address and for the whole
 * server, in wire bytes. A Jamulus client pings twice a second (≈ 80 B/s); its connect dialog asks for a
 * server's client list at most every 2.5 s. The global budget is ≈ 0.5 Mbit/s, a small share of a home uplink.
 */
export const CLM_SOURCE_BUDGET = { burst: 4096, perSecond: 1024 } as const;
export const CLM_GLOBAL_BUDGET = { burst: 65536, perSecond: 65536 } as const;
/** Sources tracked for the per-source budget (a fixed table; see SourceBuckets). */
export const CLM_SOURCE_SLOTS = 4096;
/**
 * Acknowledged messages a channel may have processed, per second. A real client has one message in flight
 * at a time, so it sends at most one per round trip; a fader dragged on loopback stays well below this.
 * Messages beyond it are neither processed nor ACKed: a real client sends them again 400 ms later.
 */
export const CHANNEL_MESSAGE_BUDGET = { burst: 400, perSecond: 200 } as const;
/**
 * Messages whose processing sends something to every other client (chat, a changed profile, which rebuilds
 * the client list; a gain crossing zero, which tells the muted one): people type and click at this rate at most.
 */
export const CHANNEL_FANOUT_BUDGET = { burst: 10, perSecond: 2 } as const;
