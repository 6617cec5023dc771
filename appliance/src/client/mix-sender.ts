// Sends the personal mix to the server (CHANNEL_GAIN / CHANNEL_PAN, §4.4): the first change at once, later
// ones coalesced over DEFAULT_GAIN_DELAY_PERIOD_MS (or twice the ping when that is longer), and only what
// differs from what the server holds (personal-mix.ts).
import type { ProtocolLink } from '../protocol/index.js';
import type { Mix } from '../settings/mix-field.js';
import { GAIN_DELAY_MS, PAN_SINCE, versionAtLeast } from './client-facts.js';
import type { RemoteClient } from './client-options.js';
import { MixSync, mixTargets } from './personal-mix.js';

export interface MixContext {
  clients: readonly RemoteClient[];
  ownId: number | null;
  mix: Mix;
  hearOwnSignal: boolean;
  serverVersion: string | null;
  pingMs: number | null;
}

export class MixSender {
  private readonly sync = new MixSync();
  private dirty = false;
  private lastAt = -Infinity;
  private timer: NodeJS.Timeout | null = null;

  /** `due` runs when coalesced changes may go out (the owner then flushes if it still can send). */
  constructor(private readonly due: () => void) {}

  /** The server reset our mix (a new session, the empty client list, a restart). */
  reset(): void {
    this.sync.reset();
  }

  /** Something changed: send now if allowed (`canSend`), else at the next flush. */
  request(canSend: boolean, link: ProtocolLink, ctx: MixContext, now: number): void {
    this.dirty = true;
    if (canSend) this.flush(link, ctx, now);
  }

  /** Sends what is pending, unless the last batch went out too recently: then `due` runs when it may. */
  flush(link: ProtocolLink, ctx: MixContext, now: number): void {
    if (!this.dirty) return;
    const delay = ctx.pingMs !== null && ctx.pingMs >= 25 ? 2 * ctx.pingMs : GAIN_DELAY_MS;
    const wait = delay - (now - this.lastAt);
    if (wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.due();
      }, Math.ceil(wait));
      return;
    }
    this.dirty = false;
    this.lastAt = now;
    const targets = mixTargets({ clients: ctx.clients, ownId: ctx.ownId, mix: ctx.mix, hearOwnSignal: ctx.hearOwnSignal });
    const pans = ctx.serverVersion === null || versionAtLeast(ctx.serverVersion, PAN_SINCE);
    for (const msg of this.sync.plan(targets)) {
      if (msg.kind === 'gain') link.sendMessage('CHANNEL_GAIN', { channelId: msg.channelId, gain: msg.value }, now);
      else if (pans) link.sendMessage('CHANNEL_PAN', { channelId: msg.channelId, pan: msg.value }, now);
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
