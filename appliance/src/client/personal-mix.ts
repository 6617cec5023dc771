// The personal mix the client asks the server for (protocol §4.4): per-musician fader, pan, mute and
// solo, kept by name because channel ids change on every reconnect, turned into CHANNEL_GAIN and
// CHANNEL_PAN values per channel id. The server starts every channel at gain 1 and centre pan and
// resets them when it sends the empty client list, so only differences from what it holds are sent.
import { MIX_DEFAULT_ENTRY, type Mix, type MixEntry } from '../settings/mix-field.js';
import type { RemoteClient } from './client-options.js';

/** Jamulus's fader scale (AUD_MIX_FADER_MAX) and the dB range it spans (AUD_MIX_FADER_RANGE_DB). */
const FADER_MAX = 100;
const FADER_RANGE_DB = 35;
/** Wire value of gain 1 and of centre pan (fixed point /32768). */
export const GAIN_UNITY = 32768;
export const PAN_CENTRE = 16384;

/** Fader 0…100 to linear gain the way Jamulus maps it: 0 is silence, 1…100 spans −35…0 dB. */
export function faderGain(level: number): number {
  if (level <= 0) return 0;
  const x = Math.min(level, FADER_MAX) / FADER_MAX;
  return Math.pow(10, ((x - 1) * FADER_RANGE_DB) / 20);
}

export function gainWire(gain: number): number {
  return Math.max(0, Math.min(GAIN_UNITY, Math.floor(gain * GAIN_UNITY)));
}

/** Pan 0 (left) … 100 (right) to the wire value 0…32768. */
export function panWire(pan: number): number {
  return Math.round((Math.max(0, Math.min(100, pan)) / 100) * GAIN_UNITY);
}

interface MixTarget {
  gain: number;
  pan: number;
}

export interface MixContext {
  clients: readonly RemoteClient[];
  ownId: number | null;
  mix: Mix;
  hearOwnSignal: boolean;
}

export function entryFor(mix: Mix, name: string): MixEntry {
  return Object.prototype.hasOwnProperty.call(mix, name) ? (mix[name] as MixEntry) : MIX_DEFAULT_ENTRY;
}

/**
 * Wire gain and pan wanted for each listed channel. While any musician is soloed only soloed ones are
 * heard (as on Jamulus's mixer board); muted ones never are. Hearing oneself off means gain 0 for the
 * own channel whatever its fader says.
 */
export function mixTargets(ctx: MixContext): Map<number, MixTarget> {
  const out = new Map<number, MixTarget>();
  const anySolo = ctx.clients.some((c) => entryFor(ctx.mix, c.name).solo);
  for (const c of ctx.clients) {
    const e = entryFor(ctx.mix, c.name);
    let gain = e.mute || (anySolo && !e.solo) ? 0 : gainWire(faderGain(e.fader));
    if (c.id === ctx.ownId && !ctx.hearOwnSignal) gain = 0;
    out.set(c.id, { gain, pan: panWire(e.pan) });
  }
  // The own channel may be known (CLIENT_ID) before the list names it.
  if (ctx.ownId !== null && !out.has(ctx.ownId) && !ctx.hearOwnSignal) out.set(ctx.ownId, { gain: 0, pan: PAN_CENTRE });
  return out;
}

type MixMessage = { kind: 'gain' | 'pan'; channelId: number; value: number };

/** What the server holds for our mix, and the messages that bring it to the targets. */
export class MixSync {
  private readonly held = new Map<number, MixTarget>();

  /** The server reset our mix (new connection, or the empty client list). */
  reset(): void {
    this.held.clear();
  }

  /** Messages to send now; they are assumed delivered (the link retransmits until ACKed). */
  plan(targets: ReadonlyMap<number, MixTarget>): MixMessage[] {
    const msgs: MixMessage[] = [];
    for (const [id, t] of targets) {
      const h = this.held.get(id) ?? { gain: GAIN_UNITY, pan: PAN_CENTRE };
      if (h.gain !== t.gain) msgs.push({ kind: 'gain', channelId: id, value: t.gain });
      if (h.pan !== t.pan) msgs.push({ kind: 'pan', channelId: id, value: t.pan });
      this.held.set(id, { gain: t.gain, pan: t.pan });
    }
    // A channel that left is reset by the server when its slot is reused.
    for (const id of [...this.held.keys()]) if (!targets.has(id)) this.held.delete(id);
    return msgs;
  }
}
