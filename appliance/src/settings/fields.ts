// Value kinds the settings schema is built from. Each kind checks typed values (JSON-RPC,
// the database, a backup file) and parses text (a CLI flag, a form field) with the same rules,
// and describes itself for a form, so one schema entry drives all four uses.

import { isIPv4, isIPv6 } from 'node:net';
import { COUNTRIES, countryByCode, isoFromCountry, parseCountry } from './countries.js';
import { INSTRUMENTS, instrumentName, isKnownInstrument, parseInstrument } from './instruments.js';
import { GENRE_DIRECTORIES, isGenreDirectoryType } from './directories.js';

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export type FormHint =
  | { readonly input: 'number'; readonly min: number; readonly max: number; readonly step?: number }
  | { readonly input: 'text'; readonly maxLength: number; readonly multiline?: boolean; readonly placeholder?: string }
  | { readonly input: 'password'; readonly maxLength: number }
  | { readonly input: 'checkbox' }
  | { readonly input: 'select'; readonly options: readonly { readonly value: string; readonly label: string }[] }
  | { readonly input: 'mix' };

export interface Field<T> {
  readonly kind: string;
  readonly default: T;
  /** Checks a typed value; `label` names the field in the message ("Port must be …"). */
  check(value: unknown, label: string): Checked<T>;
  /** Parses the text a person typed (CLI flag or form field). */
  parse(text: string, label: string): Checked<T>;
  /** Text for a form field or CLI help; the inverse of parse. */
  format(value: T): string;
  readonly form: FormHint;
}

export const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
export const fail = (error: string): Checked<never> => ({ ok: false, error });

// Control characters would end up in protocol strings, logs and config files; none of the
// single-line values has a use for them.
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS_EXCEPT_NEWLINE = /[\u0000-\u0009\u000b-\u000c\u000e-\u001f\u007f]/;

export function integer(opts: { min: number; max: number; default: number; unit?: string }): Field<number> {
  const { min, max } = opts;
  const check = (value: unknown, label: string): Checked<number> => {
    if (typeof value !== 'number' || !Number.isInteger(value)) return fail(`${label} must be a whole number`);
    if (value < min || value > max) return fail(`${label} must be between ${min} and ${max}${opts.unit ? ` ${opts.unit}` : ''}`);
    return ok(value);
  };
  return {
    kind: 'integer',
    default: opts.default,
    check,
    parse: (text, label) => {
      const t = text.trim();
      if (!/^-?\d+$/.test(t)) return fail(`${label} must be a whole number`);
      return check(Number(t), label);
    },
    format: (v) => String(v),
    form: { input: 'number', min, max },
  };
}

/** A whole number from a fixed set (e.g. frames 64|128). */
export function integerChoice<const V extends number>(values: readonly V[], def: V): Field<V> {
  const check = (value: unknown, label: string): Checked<V> =>
    typeof value === 'number' && (values as readonly number[]).includes(value)
      ? ok(value as V)
      : fail(`${label} must be one of: ${values.join(', ')}`);
  return {
    kind: 'integerChoice',
    default: def,
    check,
    parse: (text, label) => (/^\d+$/.test(text.trim()) ? check(Number(text.trim()), label) : fail(`${label} must be one of: ${values.join(', ')}`)),
    format: (v) => String(v),
    form: { input: 'select', options: values.map((v) => ({ value: String(v), label: String(v) })) },
  };
}

export function text(opts: { maxLength: number; default: string; multiline?: boolean; pattern?: RegExp; patternMessage?: string; secret?: boolean }): Field<string> {
  const check = (value: unknown, label: string): Checked<string> => {
    if (typeof value !== 'string') return fail(`${label} must be text`);
    // Length in UTF-16 code units, which is how Jamulus (Qt) counts on the receiving side.
    if (value.length > opts.maxLength) return fail(`${label} must be at most ${opts.maxLength} characters`);
    if ((opts.multiline ? CONTROL_CHARS_EXCEPT_NEWLINE : CONTROL_CHARS).test(value)) return fail(`${label} must not contain control characters`);
    if (opts.pattern && value !== '' && !opts.pattern.test(value)) return fail(`${label} ${opts.patternMessage ?? 'has an invalid format'}`);
    return ok(value);
  };
  return {
    kind: 'text',
    default: opts.default,
    check,
    // Forms send CRLF line ends; store LF only so lengths match what peers count.
    parse: (t, label) => check(opts.multiline ? t.replace(/\r\n?/g, '\n') : t.trim(), label),
    format: (v) => v,
    form: opts.secret ? { input: 'password', maxLength: opts.maxLength } : { input: 'text', maxLength: opts.maxLength, multiline: opts.multiline === true },
  };
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off', '']);

export function boolean(def: boolean): Field<boolean> {
  const check = (value: unknown, label: string): Checked<boolean> =>
    typeof value === 'boolean' ? ok(value) : fail(`${label} must be true or false`);
  return {
    kind: 'boolean',
    default: def,
    check,
    parse: (t, label) => {
      const w = t.trim().toLowerCase();
      if (TRUE_WORDS.has(w)) return ok(true);
      if (FALSE_WORDS.has(w)) return ok(false);
      return fail(`${label} must be true or false`);
    },
    format: (v) => (v ? 'true' : 'false'),
    form: { input: 'checkbox' },
  };
}

export function choice<const V extends string>(values: readonly V[], def: V, labels?: Partial<Record<V, string>>): Field<V> {
  const check = (value: unknown, label: string): Checked<V> =>
    typeof value === 'string' && (values as readonly string[]).includes(value)
      ? ok(value as V)
      : fail(`${label} must be one of: ${values.join(', ')}`);
  return {
    kind: 'choice',
    default: def,
    check,
    parse: (t, label) => check(t.trim().toLowerCase(), label),
    format: (v) => v,
    form: { input: 'select', options: values.map((v) => ({ value: v, label: labels?.[v] ?? v })) },
  };
}

/** A Qt country code; text may be ISO two-letter or the number. */
export function country(): Field<number> {
  const check = (value: unknown, label: string): Checked<number> =>
    typeof value === 'number' && countryByCode(value) ? ok(value) : fail(`${label} must be a known country`);
  return {
    kind: 'country',
    default: 0,
    check,
    parse: (t, label) => {
      try {
        return ok(parseCountry(t));
      } catch (e) {
        return fail(`${label}: ${(e as Error).message}`);
      }
    },
    format: (v) => isoFromCountry(v) ?? String(v),
    form: {
      input: 'select',
      options: [...COUNTRIES].sort((a, b) => (a.code === 0 ? -1 : b.code === 0 ? 1 : a.name.localeCompare(b.name))).map((c) => ({
        value: String(c.code),
        label: c.code === 0 ? '—' : c.name,
      })),
    },
  };
}

export function instrument(): Field<number> {
  const check = (value: unknown, label: string): Checked<number> =>
    typeof value === 'number' && isKnownInstrument(value) ? ok(value) : fail(`${label} must be a known instrument`);
  return {
    kind: 'instrument',
    default: 0,
    check,
    parse: (t, label) => {
      try {
        return ok(parseInstrument(t));
      } catch (e) {
        return fail(`${label}: ${(e as Error).message}`);
      }
    },
    format: (v) => String(v),
    form: { input: 'select', options: INSTRUMENTS.map((i) => ({ value: String(i.code), label: instrumentName(i.code) })) },
  };
}

/** An IPv4 address, or '' when `optional` (meaning "not set"). */
export function ipv4(opts: { optional: boolean; default?: string }): Field<string> {
  const check = (value: unknown, label: string): Checked<string> => {
    if (typeof value !== 'string') return fail(`${label} must be text`);
    if (value === '' && opts.optional) return ok('');
    return isIPv4(value) ? ok(value) : fail(`${label} must be an IPv4 address such as 192.168.1.20`);
  };
  return {
    kind: 'ipv4',
    default: opts.default ?? '',
    check,
    parse: (t, label) => check(t.trim(), label),
    format: (v) => v,
    form: { input: 'text', maxLength: 15, placeholder: '192.168.1.20' },
  };
}

export function ipv4List(opts: { max: number }): Field<readonly string[]> {
  const check = (value: unknown, label: string): Checked<readonly string[]> => {
    if (!Array.isArray(value)) return fail(`${label} must be a list of IPv4 addresses`);
    if (value.length > opts.max) return fail(`${label} may list at most ${opts.max} addresses`);
    for (const v of value) {
      if (typeof v !== 'string' || !isIPv4(v)) return fail(`${label} must be IPv4 addresses such as 192.168.1.1, separated by commas`);
    }
    return ok(Object.freeze([...value] as string[]));
  };
  return {
    kind: 'ipv4List',
    default: Object.freeze([]),
    check,
    parse: (t, label) => check(t.split(/[\s,]+/).filter((s) => s !== ''), label),
    format: (v) => v.join(', '),
    form: { input: 'text', maxLength: 80, placeholder: '192.168.1.1, 9.9.9.9' },
  };
}

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** A DNS name: dot-separated labels of letters, digits and hyphens, at most 253 characters. */
export function isDnsName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  const labels = host.replace(/\.$/, '').split('.');
  // An all-numeric last label would be a mistyped IPv4 address, not a name.
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return false;
  return labels.every((l) => LABEL.test(l));
}

export interface HostPort {
  readonly host: string;
  readonly port: number | undefined;
}

/** Splits "host", "host:port", "1.2.3.4:port" or "[v6]:port"; undefined when malformed. */
export function splitHostPort(value: string): HostPort | undefined {
  let host: string;
  let portText: string | undefined;
  // A bare IPv6 address has no port (its colons would be ambiguous); with a port it is [v6]:port.
  if (isIPv6(value)) return { host: value, port: undefined };
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (v6) {
    host = v6[1] ?? '';
    portText = v6[2];
    if (!isIPv6(host)) return undefined;
  } else {
    const parts = value.split(':');
    if (parts.length > 2) return undefined;
    host = parts[0] ?? '';
    portText = parts[1];
    if (!isIPv4(host) && !isDnsName(host)) return undefined;
  }
  if (portText === undefined) return { host, port: undefined };
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  return { host, port };
}

/** `host[:port]`; with `optional`, '' means "not set". */
export function hostPort(opts: { default: string; optional?: boolean }): Field<string> {
  const check = (value: unknown, label: string): Checked<string> => {
    if (typeof value !== 'string') return fail(`${label} must be text`);
    if (value === '') return opts.optional ? ok('') : fail(`${label} is required`);
    return splitHostPort(value) ? ok(value) : fail(`${label} must be a host name or IP address, optionally followed by :port (1–65535)`);
  };
  return {
    kind: 'hostPort',
    default: opts.default,
    check,
    parse: (t, label) => check(t.trim(), label),
    format: (v) => v,
    form: { input: 'text', maxLength: 260, placeholder: 'example.org:22124' },
  };
}

/** A genre directory key (`any_genre_1`, …) or a custom `host[:port]`. */
export function directory(opts: { default: string }): Field<string> {
  const check = (value: unknown, label: string): Checked<string> => {
    if (typeof value !== 'string') return fail(`${label} must be text`);
    if (value === 'any_genre_3') return ok('any_genre_asia');
    if (isGenreDirectoryType(value)) return ok(value);
    // The other directoryType words are valid host names too, but nobody means a host by them.
    if (value === 'custom' || value === 'none') return fail(`${label} "${value}" needs an address: give host[:port]`);
    if (value !== '' && splitHostPort(value)) return ok(value);
    return fail(`${label} must be one of ${GENRE_DIRECTORIES.map((d) => d.type).join(', ')} or a custom host[:port]`);
  };
  return {
    kind: 'directory',
    default: opts.default,
    check,
    parse: (t, label) => check(t.trim(), label),
    format: (v) => v,
    form: {
      input: 'select',
      options: [...GENRE_DIRECTORIES.map((d) => ({ value: d.type, label: `${d.label} (${d.host})` })), { value: 'custom', label: 'Custom…' }],
    },
  };
}

/** A single-label host name (RFC 1123), as `hostnamectl` accepts for the static host name. */
export function hostLabel(opts: { default: string }): Field<string> {
  const check = (value: unknown, label: string): Checked<string> => {
    if (typeof value !== 'string') return fail(`${label} must be text`);
    return LABEL.test(value) && !/^\d+$/.test(value)
      ? ok(value)
      : fail(`${label} must be 1–63 letters, digits or hyphens, not starting or ending with a hyphen`);
  };
  return {
    kind: 'hostLabel',
    default: opts.default,
    check,
    parse: (t, label) => check(t.trim(), label),
    format: (v) => v,
    form: { input: 'text', maxLength: 63 },
  };
}

/** A fully qualified DNS name, or '' for "not set". */
export function dnsName(opts: { default: string }): Field<string> {
  const check = (value: unknown, label: string): Checked<string> => {
    if (typeof value !== 'string') return fail(`${label} must be text`);
    if (value === '') return ok('');
    return isDnsName(value) ? ok(value.toLowerCase()) : fail(`${label} must be a host name such as mybox.example.org`);
  };
  return {
    kind: 'dnsName',
    default: opts.default,
    check,
    parse: (t, label) => check(t.trim(), label),
    format: (v) => v,
    form: { input: 'text', maxLength: 253, placeholder: 'mybox.example.org' },
  };
}
