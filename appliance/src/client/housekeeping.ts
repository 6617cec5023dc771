// When the client's housekeeping runs: within HOUSEKEEPING_BUSY_MS while something waits on it (an
// acknowledged message awaiting its ACK, a connection attempt or a retry), otherwise every
// HOUSEKEEPING_IDLE_MS. A fixed fast interval would wake the JS thread ten times a second for nothing
// during a session.
import { performance } from 'node:perf_hooks';
import { HOUSEKEEPING_BUSY_MS, HOUSEKEEPING_IDLE_MS } from './client-facts.js';

export class Housekeeping {
  private timer: NodeJS.Timeout | null = null;
  private due = Infinity;
  private stopped = false;

  /** `run` does the work; `busy` says, after it, whether something still waits on the next run. */
  constructor(
    private readonly run: () => void,
    private readonly busy: () => boolean,
  ) {}

  start(): void {
    this.stopped = false;
    this.arm(HOUSEKEEPING_BUSY_MS);
  }

  /** Something now waits on housekeeping (a message queued, a connection state changed): run soon. */
  hurry(): void {
    if (!this.stopped) this.arm(HOUSEKEEPING_BUSY_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.due = Infinity;
  }

  private arm(delayMs: number): void {
    const due = performance.now() + delayMs;
    if (this.timer !== null) {
      if (this.due <= due) return;
      clearTimeout(this.timer);
    }
    this.due = due;
    this.timer = setTimeout(() => this.fire(), delayMs);
  }

  private fire(): void {
    this.timer = null;
    this.due = Infinity;
    this.run();
    if (!this.stopped) this.arm(this.busy() ? HOUSEKEEPING_BUSY_MS : HOUSEKEEPING_IDLE_MS);
  }
}
