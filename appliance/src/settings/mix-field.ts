// The per-musician mix, a setting of its own kind: one entry (fader, pan, mute, solo) per musician name, because
// Jamulus channel ids change on every reconnect. The limits, the checks of one entry and one name, and the field.
import { CONTROL_CHARS, fail, ok, type Checked, type Field } from './fields.js';

export interface MixEntry {
  /** 0–100, Jamulus's fader scale. */
  readonly fader: number;
  /** 0 (left) – 100 (right); 50 is centre, as on Jamulus's pan knob. */
  readonly pan: number;
  readonly mute: boolean;
  readonly solo: boolean;
}

export type Mix = Readonly<Record<string, MixEntry>>;

export const MIX_DEFAULT_ENTRY: MixEntry = Object.freeze({ fader: 100, pan: 50, mute: false, solo: false });
/** The musician-name limit of the protocol (MAX_LEN_FADER_TAG). */
export const MIX_NAME_MAX = 16;
/** Names are remembered across sessions; cap them so a busy public server cannot grow the table without end. */
export const MIX_MAX_ENTRIES = 500;

/** Checks one mix entry; `who` names the musician in messages. */
export function checkMixEntry(value: unknown, who: string): Checked<MixEntry> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`Mix for ${who} must be an object`);
  const v = value as Record<string, unknown>;
  const extra = Object.keys(v).filter((k) => !['fader', 'pan', 'mute', 'solo'].includes(k));
  if (extra.length > 0) return fail(`Mix for ${who} has unknown field ${extra[0]}`);
  const fader = v.fader ?? MIX_DEFAULT_ENTRY.fader;
  const pan = v.pan ?? MIX_DEFAULT_ENTRY.pan;
  const mute = v.mute ?? MIX_DEFAULT_ENTRY.mute;
  const solo = v.solo ?? MIX_DEFAULT_ENTRY.solo;
  if (typeof fader !== 'number' || !Number.isInteger(fader) || fader < 0 || fader > 100) return fail(`Fader for ${who} must be between 0 and 100`);
  if (typeof pan !== 'number' || !Number.isInteger(pan) || pan < 0 || pan > 100) return fail(`Pan for ${who} must be between 0 and 100`);
  if (typeof mute !== 'boolean') return fail(`Mute for ${who} must be true or false`);
  if (typeof solo !== 'boolean') return fail(`Solo for ${who} must be true or false`);
  return ok(Object.freeze({ fader, pan, mute, solo }));
}

export function checkMixName(name: string): string | undefined {
  if (name.length > MIX_NAME_MAX) return `Musician name "${name.slice(0, MIX_NAME_MAX)}…" is longer than ${MIX_NAME_MAX} characters`;
  if (CONTROL_CHARS.test(name)) return 'Musician names must not contain control characters';
  return undefined;
}

/** Per-musician mix keyed by musician name, because Jamulus channel ids change on every reconnect. */
export function mix(): Field<Mix> {
  const check = (value: unknown, label: string): Checked<Mix> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`${label} must be an object keyed by musician name`);
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length > MIX_MAX_ENTRIES) return fail(`${label} may hold at most ${MIX_MAX_ENTRIES} musicians`);
    const out: [string, MixEntry][] = [];
    for (const [name, entry] of entries) {
      const bad = checkMixName(name);
      if (bad) return fail(bad);
      const c = checkMixEntry(entry, JSON.stringify(name));
      if (!c.ok) return c;
      out.push([name, c.value]);
    }
    // fromEntries defines own properties, so a musician called "__proto__" stays a plain key.
    return ok(Object.freeze(Object.fromEntries(out)));
  };
  return {
    kind: 'mix',
    default: Object.freeze({}) as Mix,
    check,
    parse: (t, label) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(t);
      } catch {
        return fail(`${label} must be JSON`);
      }
      return check(parsed, label);
    },
    format: (v) => JSON.stringify(v),
    form: { input: 'mix' },
  };
}
