// What the engine drops, and why: counters by reason plus the latest drop as text, for riffbox/getServerStats.
import type { DropReason } from '../protocol/index.js';
import type { SendRefusal } from './send-guard.js';

/** Drop reasons the engine counts on top of the per-link ones and the send path's refusals. */
export type EngineDrop =
  | DropReason
  | SendRefusal
  | 'audio-wrong-size'
  | 'audio-before-format'
  /** A datagram from an unknown address too short to be any client's audio: no channel, no answer. */
  | 'too-short-for-audio'
  | 'acked-from-unknown-address'
  /** An acknowledged message from a channel still on probation: neither processed nor ACKed. */
  | 'acked-on-probation'
  /** A channel on probation ACKed something never sent to it (a guess): freed at once. */
  | 'probation-bad-ack'
  /** A channel on probation that was never confirmed, freed at its time-out. */
  | 'probation-timeout'
  /** A silent channel on probation whose slot went to a newcomer on a full server. */
  | 'probation-evicted'
  /** Acknowledged messages beyond a channel's CHANNEL_MESSAGE_BUDGET / CHANNEL_FANOUT_BUDGET (not ACKed). */
  | 'message-rate'
  | 'fanout-rate'
  | 'clm-invalid'
  | 'clm-unhandled'
  | 'server-full'
  | 'bad-transport-props'
  | 'internal-error';

export class DropCounter {
  // The latest drop of countFrom(), kept as fields: a flood then builds no strings.
  private reason = '';
  private addr = 0;
  private port = 0;
  private detail = '';
  private value = -1;

  constructor(
    private readonly stats: { dropped: Record<string, number>; lastDropError: string | null },
    /** "a.b.c.d:port" or "[v6]:port" for a peer. */
    private readonly endpoint: (addr: number, port: number) => string,
  ) {}

  /** A rare drop, with its text. */
  count(reason: EngineDrop, error: string): void {
    this.add(reason);
    this.stats.lastDropError = error;
    this.reason = '';
  }

  /**
   * A drop on a path a flood reaches: `detail` is a constant and `value` a number (-1: none); the text is
   * built only when the stats are read (text()).
   */
  countFrom(reason: EngineDrop, addr: number, port: number, detail: string, value = -1): void {
    this.add(reason);
    this.stats.lastDropError = null;
    this.reason = reason;
    this.addr = addr;
    this.port = port;
    this.detail = detail;
    this.value = value;
  }

  /** Fills in stats.lastDropError for a drop countFrom() recorded. */
  text(): void {
    if (this.stats.lastDropError !== null || this.reason === '') return;
    const value = this.value >= 0 ? ` ${this.value}` : '';
    this.stats.lastDropError = `${this.reason}: ${this.endpoint(this.addr, this.port)}: ${this.detail}${value}`;
  }

  private add(reason: EngineDrop): void {
    const d = this.stats.dropped;
    d[reason] = (d[reason] ?? 0) + 1;
  }
}
