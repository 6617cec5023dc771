// Validation of partial updates, shared by the admin (per-field errors, HTTP 422), JSON-RPC
// methods, backups and the CLI (one line). Field rules live in the schema; the few rules that
// tie fields together live here, each reporting on the field a person has to fix.

import {
  SETTINGS, SETTING_KEYS, defaultSettings, isSettingKey,
  type FlatSettings, type SettingKey, type SettingsPatch,
} from './schema.js';

/** Messages by dotted key (unknown keys keep their own name). */
export type FieldErrors = Readonly<Record<string, string>>;

/** Thrown by writes whose input is invalid; nothing was written. `errors` is keyed by setting. */
export class SettingsValidationError extends Error {
  constructor(readonly errors: FieldErrors) {
    super(Object.values(errors).join('; '));
    this.name = 'SettingsValidationError';
  }
}

export type PatchResult =
  | { readonly ok: true; readonly patch: SettingsPatch }
  | { readonly ok: false; readonly errors: FieldErrors };

/**
 * Checks typed values (numbers as numbers, booleans as booleans). Every field is checked, so
 * all errors come back at once; `current` is what the patch applies to, for cross-field rules.
 */
export function validatePatch(input: unknown, current: FlatSettings = defaultSettings()): PatchResult {
  return validateWith(input, current, (key, value) => SETTINGS[key].field.check(value, SETTINGS[key].label));
}

/** Checks text values as typed into a form or on a command line, e.g. `{'server.port': '22120'}`. */
export function parseTextPatch(input: Readonly<Record<string, string>>, current: FlatSettings = defaultSettings()): PatchResult {
  return validateWith(input, current, (key, value) =>
    typeof value === 'string'
      ? SETTINGS[key].field.parse(value, SETTINGS[key].label)
      : { ok: false, error: `${SETTINGS[key].label} must be text` },
  );
}

type Checker = (key: SettingKey, value: unknown) => { ok: true; value: unknown } | { ok: false; error: string };

function validateWith(input: unknown, current: FlatSettings, check: Checker): PatchResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: { '': 'Settings must be an object keyed by setting name' } };
  }
  const errors: Record<string, string> = {};
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    if (!isSettingKey(key)) {
      errors[key] = `Unknown setting ${key}`;
      continue;
    }
    const r = check(key, value);
    if (r.ok) patch[key] = r.value;
    else errors[key] = r.error;
  }
  if (Object.keys(errors).length === 0) {
    const merged = mergePatch(current, patch as SettingsPatch);
    Object.assign(errors, crossFieldErrors(merged, new Set(Object.keys(patch) as SettingKey[])));
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors: Object.freeze(errors) };
  return { ok: true, patch: Object.freeze(patch) as SettingsPatch };
}

export function mergePatch(base: FlatSettings, patch: SettingsPatch): FlatSettings {
  return Object.freeze({ ...base, ...patch }) as FlatSettings;
}

/** Validates a whole settings object, e.g. one read back from the database. */
export function validateAll(flat: Readonly<Record<string, unknown>>): FieldErrors {
  const r = validatePatch(Object.fromEntries(SETTING_KEYS.map((k) => [k, flat[k]])));
  return r.ok ? {} : r.errors;
}

/** One line for a terminal: `Port must be between 1024 and 65535; Server name must be …`. */
export function errorsToLine(errors: FieldErrors): string {
  return Object.values(errors).join('; ');
}

interface CrossRule {
  /** The rule is checked only when one of these keys is part of the update. */
  readonly keys: readonly SettingKey[];
  readonly check: (s: FlatSettings) => Record<string, string>;
}

const required = (s: FlatSettings, key: SettingKey, why: string): Record<string, string> =>
  s[key] === '' ? { [key]: `${SETTINGS[key].label} is required ${why}` } : {};

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

const PROVIDER_NAMES = { dyndns2: 'dyndns2', noip: 'No-IP', duckdns: 'DuckDNS', cloudflare: 'Cloudflare', freedns: 'FreeDNS' } as const;

const CROSS_RULES: readonly CrossRule[] = [
  {
    keys: ['network.staticEnabled', 'network.address', 'network.prefix', 'network.gateway'],
    check: (s) => {
      if (!s['network.staticEnabled']) return {};
      const errs = { ...required(s, 'network.address', 'for a static IP'), ...required(s, 'network.gateway', 'for a static IP') };
      if (Object.keys(errs).length > 0) return errs;
      const prefix = s['network.prefix'];
      // Unsigned 32-bit arithmetic: a /1 mask does not fit a signed int.
      const mask = prefix === 32 ? 0xffffffff : (0xffffffff - (2 ** (32 - prefix) - 1)) >>> 0;
      const addr = ipToInt(s['network.address']);
      const gw = ipToInt(s['network.gateway']);
      const net = (addr & mask) >>> 0;
      const broadcast = (net | (~mask >>> 0)) >>> 0;
      if (prefix <= 30 && (addr === net || addr === broadcast)) {
        return { 'network.address': `IP address ${s['network.address']} is the network or broadcast address of /${prefix}` };
      }
      if (((gw & mask) >>> 0) !== net) {
        const netText = [24, 16, 8, 0].map((b) => (net >>> b) & 255).join('.');
        return { 'network.gateway': `Gateway must be inside ${netText}/${prefix}, the box's own network` };
      }
      if (gw === addr) return { 'network.gateway': 'Gateway must differ from the box\'s own IP address' };
      return {};
    },
  },
  {
    keys: ['ddns.enabled', 'ddns.provider', 'ddns.server', 'ddns.host', 'ddns.username', 'ddns.password', 'ddns.token', 'ddns.zone'],
    check: (s) => {
      if (!s['ddns.enabled']) return {};
      const provider = s['ddns.provider'];
      const why = `for ${PROVIDER_NAMES[provider]}`;
      const errs: Record<string, string> = { ...required(s, 'ddns.host', why) };
      switch (provider) {
        case 'dyndns2':
          Object.assign(errs, required(s, 'ddns.server', why), required(s, 'ddns.username', why), required(s, 'ddns.password', why));
          break;
        case 'noip':
        case 'freedns':
          Object.assign(errs, required(s, 'ddns.username', why), required(s, 'ddns.password', why));
          break;
        case 'duckdns':
          Object.assign(errs, required(s, 'ddns.token', why));
          if (s['ddns.host'] !== '' && !s['ddns.host'].endsWith('.duckdns.org')) {
            errs['ddns.host'] = 'Host name must end in .duckdns.org for DuckDNS';
          }
          break;
        case 'cloudflare': {
          Object.assign(errs, required(s, 'ddns.zone', why), required(s, 'ddns.token', why));
          const host = s['ddns.host'];
          const zone = s['ddns.zone'];
          if (host !== '' && zone !== '' && host !== zone && !host.endsWith(`.${zone}`)) {
            errs['ddns.host'] = `Host name must be inside the zone ${zone}`;
          }
          break;
        }
      }
      return errs;
    },
  },
];

function crossFieldErrors(merged: FlatSettings, touched: ReadonlySet<SettingKey>): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const rule of CROSS_RULES) {
    if (!rule.keys.some((k) => touched.has(k))) continue;
    for (const [k, msg] of Object.entries(rule.check(merged))) errors[k] ??= msg;
  }
  return errors;
}
