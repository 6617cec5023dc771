// The one table of every setting the riffbox services share. Validation, storage, CLI flags,
// admin forms, backups and reload decisions are all driven from here; nothing else lists keys.

import {
  boolean, choice, country, directory, dnsName, hostLabel, hostPort, instrument, integer,
  integerChoice, ipv4, ipv4List, text,
  type Field, type FormHint,
} from './fields.js';
import { mix } from './mix-field.js';

/** The processes that read settings from the command line. */
export type Service = 'server' | 'client' | 'admin';

/**
 * What must be told when a setting changes: a service reloads over its control channel; the
 * root helper re-applies `network`, `ddns` or `hostname`. An empty list means the value is
 * read live (the language).
 */
export type ReloadTarget = Service | 'network' | 'ddns' | 'hostname';

export interface SettingDef<T> {
  /** Human name used in every message about the field ("Port must be …"). */
  readonly label: string;
  readonly field: Field<T>;
  readonly default: T;
  /**
   * Write-only: never rendered back, logged, or exported without the password. Secrets are kept in
   * the admin's own store (webadmin/src/security/admin-store.ts), never in settings.db, which the
   * internet-facing server can read and write.
   */
  readonly secret: boolean;
  /** Long flag name (without `--`) per service that accepts it on the command line. */
  readonly cli: Partial<Record<Service, string>>;
  readonly reload: readonly ReloadTarget[];
  readonly help: string;
}

function setting<T>(
  label: string,
  field: Field<T>,
  opts: { reload: readonly ReloadTarget[]; cli?: Partial<Record<Service, string>>; secret?: boolean; help?: string },
): SettingDef<T> {
  return Object.freeze({
    label,
    field,
    default: field.default,
    secret: opts.secret === true,
    cli: Object.freeze({ ...opts.cli }),
    reload: Object.freeze([...opts.reload]),
    help: opts.help ?? '',
  });
}

import { RING_MB_CHOICES } from '../recorder/recorder-facts.js';

const S = ['server'] as const;
const C = ['client'] as const;

// ALSA PCM names as riffbox offers them: `default`, `hw:CARD=USB,DEV=0`, `plughw:1,0`, `jack`.
const ALSA_NAME = /^[A-Za-z0-9_][A-Za-z0-9_:,=.-]*$/;

export const SETTINGS = {
  // ---- server (protocol reference §4, §6; issue 3) ----
  'server.mode': setting('Mode', choice(['private', 'public'] as const, 'private'), {
    reload: S, cli: { server: 'mode' }, help: 'private: friends connect to your address; public: listed in a directory, no port forwarding needed',
  }),
  // The local client follows this port when it joins the box itself ("127.0.0.1" without a port).
  'server.port': setting('Port', integer({ min: 1024, max: 65535, default: 22124 }), {
    reload: ['server', 'client'], cli: { server: 'port' }, help: 'UDP port the server listens on',
  }),
  'server.name': setting('Server name', text({ maxLength: 20, default: 'riffbox' }), {
    reload: S, cli: { server: 'name' }, help: 'shown in the directory list',
  }),
  'server.city': setting('City', text({ maxLength: 20, default: '' }), { reload: S }),
  'server.country': setting('Country', country(), { reload: S }),
  'server.maxClients': setting('Max clients', integer({ min: 1, max: 150, default: 10 }), {
    reload: S, cli: { server: 'max-clients' },
  }),
  'server.welcome': setting('Welcome message', text({ maxLength: 1600, default: '', multiline: true }), {
    reload: S, cli: { server: 'welcome' }, help: 'sent to every musician who connects (HTML allowed, as in Jamulus)',
  }),
  'server.fastUpdate': setting('Fast update', boolean(false), {
    reload: S, cli: { server: 'fast-update' }, help: '64-sample frames for clients that support them (lower delay, more CPU)',
  }),
  'server.directory': setting('Directory', directory({ default: 'any_genre_1' }), {
    reload: S, cli: { server: 'directory' }, help: 'genre directory key or a custom host[:port], used in public mode',
  }),
  'server.portMapping': setting('Automatic port mapping', boolean(true), {
    reload: S, cli: { server: 'port-mapping' },
    help: 'in private mode, ask the router to open the port (UPnP IGD, NAT-PMP or PCP) and an IPv6 pinhole; off: forward the port by hand',
  }),
  'server.publicIp': setting('Public IP', ipv4({ optional: true }), {
    reload: S, cli: { server: 'public-ip' }, help: 'the address the directory should list, when it cannot see it itself',
  }),
  'server.jsonrpcPort': setting('Server JSON-RPC port', integer({ min: 1024, max: 65535, default: 22130 }), {
    reload: S, cli: { server: 'jsonrpc-port' },
  }),

  // ---- recording (issue 14); `--norecord` and the rule that `--recording DIR` enables are in cli-overrides.ts ----
  'server.recordingDir': setting('Recordings folder', text({ maxLength: 1024, default: '' }), {
    reload: S, cli: { server: 'recording' },
    help: 'where sessions are recorded (Jamulus -R); empty: the recordings folder beside the settings database, or no recorder without one',
  }),
  'server.recordingEnabled': setting('Record sessions', boolean(false), {
    reload: S, help: 'record every musician to their own track while anyone is connected',
  }),
  'server.recordingBits': setting('Bit depth', integerChoice([16, 24] as const, 16), {
    reload: S, cli: { server: 'recording-bits' }, help: '16 as Jamulus writes, or 24 for editors that prefer it (the audio itself is 16-bit)',
  }),
  'server.recordingReserveMb': setting('Free space to keep', integer({ min: 10, max: 1000000, default: 1024, unit: 'MB' }), {
    reload: S, cli: { server: 'recording-reserve-mb' }, help: 'MB: recording stops before the free space falls below this',
  }),
  'server.recordingBufferMb': setting('Recording buffer', integerChoice(RING_MB_CHOICES, 16), {
    reload: S, cli: { server: 'recording-buffer-mb' },
    help: 'memory (MB) that holds the audio while the card or stick is slow; when it is full the recorder drops and counts. Read when the server starts',
  }),
  'server.recordingMaxMinutes': setting('Longest session', integer({ min: 1, max: 240, default: 180, unit: 'minutes' }), {
    reload: S, cli: { server: 'recording-max-minutes' }, help: 'minutes: recording stops when a session reaches this length (240 keeps every file under the 4 GB of a WAV)',
  }),

  // ---- local client (issue 4) ----
  'client.enabled': setting('Local client', boolean(true), { reload: C }),
  'client.server': setting('Server', hostPort({ default: '127.0.0.1' }), {
    reload: C, cli: { client: 'server' }, help: 'host[:port] of the Jamulus server to join (IPv6: [2001:db8::1]:22124); 127.0.0.1 without a port is this box, on its server port',
  }),
  'client.device': setting('Audio device', text({
    maxLength: 128, default: 'auto', pattern: ALSA_NAME, patternMessage: 'must be an ALSA device name such as hw:CARD=USB, default or auto',
  }), { reload: C, cli: { client: 'device' }, help: 'auto: the USB audio interface (else the first card with input and output)' }),
  'client.name': setting('Name', text({ maxLength: 16, default: 'riffbox' }), { reload: C, cli: { client: 'name' } }),
  'client.instrument': setting('Instrument', instrument(), { reload: C }),
  'client.country': setting('Country', country(), { reload: C }),
  'client.city': setting('City', text({ maxLength: 20, default: '' }), { reload: C }),
  'client.skill': setting('Skill level', integer({ min: 0, max: 3, default: 0 }), {
    reload: C, help: '0 not set, 1 beginner, 2 intermediate, 3 expert',
  }),
  'client.frames': setting('Frames', integerChoice([64, 128] as const, 128), {
    reload: C, cli: { client: 'frames' }, help: '64 (OPUS64, lower delay) or 128 samples per packet',
  }),
  'client.quality': setting('Quality', choice(['low', 'normal', 'high'] as const, 'normal'), { reload: C, cli: { client: 'quality' } }),
  'client.channels': setting('Channels', choice(['mono', 'mono-stereo', 'stereo'] as const, 'mono'), {
    reload: C, cli: { client: 'channels' },
  }),
  'client.monoInput': setting('Mono input', integerChoice([1, 2] as const, 1), {
    reload: C, help: 'which capture channel feeds a mono stream',
  }),
  'client.jitterAuto': setting('Automatic jitter buffer', boolean(true), { reload: C }),
  'client.jitterSize': setting('Jitter buffer size', integer({ min: 1, max: 20, default: 10, unit: 'blocks' }), {
    reload: C, help: 'used when the automatic jitter buffer is off',
  }),
  'client.muteMyself': setting('Mute myself', boolean(false), { reload: C, help: 'others stop hearing the box' }),
  'client.hearOwnSignal': setting('Hear own signal', boolean(true), { reload: C }),
  'client.mix': setting('Mix', mix(), { reload: C, help: 'fader, pan, mute and solo per musician name' }),
  'client.jsonrpcPort': setting('Client JSON-RPC port', integer({ min: 1024, max: 65535, default: 22131 }), {
    reload: C, cli: { client: 'jsonrpc-port' },
  }),

  // ---- the box's network (issue 5) ----
  'network.staticEnabled': setting('Static IP', boolean(false), { reload: ['network'] }),
  'network.address': setting('IP address', ipv4({ optional: true }), { reload: ['network'] }),
  'network.prefix': setting('Prefix length', integer({ min: 1, max: 32, default: 24 }), { reload: ['network'], help: '24 means 255.255.255.0' }),
  'network.gateway': setting('Gateway', ipv4({ optional: true }), { reload: ['network'] }),
  'network.dns': setting('DNS servers', ipv4List({ max: 3 }), { reload: ['network'] }),
  'network.revertSeconds': setting('Revert after', integer({ min: 30, max: 600, default: 120, unit: 'seconds' }), {
    reload: ['network'], help: 'an unconfirmed static IP change reverts by itself after this time',
  }),

  // ---- dynamic DNS (issue 5) ----
  'ddns.enabled': setting('Dynamic DNS', boolean(false), { reload: ['ddns'] }),
  'ddns.provider': setting('Provider', choice(['dyndns2', 'noip', 'duckdns', 'cloudflare', 'freedns'] as const, 'duckdns', {
    dyndns2: 'dyndns2 (any server)', noip: 'No-IP', duckdns: 'DuckDNS', cloudflare: 'Cloudflare', freedns: 'FreeDNS',
  }), { reload: ['ddns'] }),
  'ddns.server': setting('Update server', hostPort({ default: '', optional: true }), { reload: ['ddns'], help: 'dyndns2 only' }),
  'ddns.host': setting('Host name', dnsName({ default: '' }), { reload: ['ddns'] }),
  'ddns.username': setting('User name', text({ maxLength: 128, default: '' }), { reload: ['ddns'] }),
  'ddns.password': setting('Password', text({ maxLength: 256, default: '', secret: true }), { reload: ['ddns'], secret: true }),
  'ddns.token': setting('Token', text({ maxLength: 256, default: '', secret: true }), { reload: ['ddns'], secret: true }),
  'ddns.zone': setting('Zone', dnsName({ default: '' }), { reload: ['ddns'], help: 'Cloudflare only' }),
  'ddns.checkip': setting('Address lookup', text({
    maxLength: 200, default: '', pattern: /^$|^https?:\/\/[^\s,#'"\\=]+$/, patternMessage: 'must be an http:// or https:// address without spaces, commas, quotes or #',
  }), { reload: ['ddns'], help: 'a web address that answers with your public IPv4 address as text; empty: https://api.ipify.org/' }),
  'ddns.addresses': setting('Publish', choice(['ipv4', 'ipv4+ipv6', 'ipv6'] as const, 'ipv4', {
    ipv4: 'IPv4 (A record)', 'ipv4+ipv6': 'IPv4 and IPv6 (A and AAAA records)', ipv6: 'IPv6 only (AAAA record)',
  }), { reload: ['ddns'], help: 'IPv6 only for a line without a public IPv4 address of its own (DS-Lite, carrier-grade NAT)' }),

  // ---- system (issue 5) ----
  'system.hostname': setting('Host name', hostLabel({ default: 'riffbox' }), { reload: ['hostname'], help: 'the box answers as NAME.local' }),
  'system.language': setting('Language', choice(['en', 'fr'] as const, 'en', { en: 'English', fr: 'Français' }), { reload: [] }),

  // ---- the admin page's own listener (issue 5) ----
  'admin.port': setting('Admin port', integer({ min: 1, max: 65535, default: 8080 }), { reload: ['admin'], cli: { admin: 'port' } }),
  'admin.bind': setting('Admin bind address', ipv4({ optional: false, default: '0.0.0.0' }), { reload: ['admin'], cli: { admin: 'bind' } }),
} as const;

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue<K extends SettingKey> = (typeof SETTINGS)[K] extends SettingDef<infer T> ? T : never;

/** Every setting by its dotted key, e.g. `flat['server.port']`. */
export type FlatSettings = { readonly [K in SettingKey]: SettingValue<K> };
/** Some settings by dotted key: what `update()`, CLI overrides and forms produce. */
export type SettingsPatch = { readonly [K in SettingKey]?: SettingValue<K> };

export type Section = SettingKey extends `${infer S}.${string}` ? S : never;
/** The typed, nested view services use: `settings.server.port`. */
export type Settings = {
  readonly [S in Section]: { readonly [K in SettingKey as K extends `${S}.${infer F}` ? F : never]: SettingValue<K> };
};

export const SETTING_KEYS: readonly SettingKey[] = Object.freeze(Object.keys(SETTINGS) as SettingKey[]);
export const SECRET_KEYS: readonly SettingKey[] = Object.freeze(SETTING_KEYS.filter((k) => SETTINGS[k].secret));

export function isSettingKey(key: string): key is SettingKey {
  return Object.prototype.hasOwnProperty.call(SETTINGS, key);
}

export function settingDef<K extends SettingKey>(key: K): SettingDef<SettingValue<K>> {
  return SETTINGS[key] as unknown as SettingDef<SettingValue<K>>;
}

export function isSecret(key: SettingKey): boolean {
  return SETTINGS[key].secret;
}

export function defaultSettings(): FlatSettings {
  return Object.freeze(Object.fromEntries(SETTING_KEYS.map((k) => [k, SETTINGS[k].default]))) as FlatSettings;
}

/** The CLI flag of a setting for a service, without `--`. */
export function cliFlag(key: SettingKey, service: Service): string | undefined {
  return (SETTINGS[key].cli as Partial<Record<Service, string>>)[service];
}

/** What must reload after these keys changed. */
export function reloadTargets(keys: Iterable<SettingKey>): Set<ReloadTarget> {
  const out = new Set<ReloadTarget>();
  for (const k of keys) for (const t of SETTINGS[k].reload) out.add(t);
  return out;
}

export function toNested(flat: FlatSettings): Settings {
  const out: Record<string, Record<string, unknown>> = {};
  for (const k of SETTING_KEYS) {
    const dot = k.indexOf('.');
    const section = k.slice(0, dot);
    (out[section] ??= {})[k.slice(dot + 1)] = flat[k];
  }
  for (const s of Object.values(out)) Object.freeze(s);
  return Object.freeze(out) as unknown as Settings;
}

/** Form metadata for one setting, for the admin's templates. */
export function formHint(key: SettingKey): FormHint {
  return SETTINGS[key].field.form;
}

/** A copy with every secret blanked, safe to render, log or send over JSON-RPC. */
export function redactSecrets(flat: FlatSettings): FlatSettings {
  const copy: Record<string, unknown> = { ...flat };
  for (const k of SECRET_KEYS) copy[k] = '';
  return Object.freeze(copy) as FlatSettings;
}

/** Which secrets hold a value, so a form can say "set" without showing it. */
export function secretsSet(flat: FlatSettings): Readonly<Partial<Record<SettingKey, boolean>>> {
  return Object.freeze(Object.fromEntries(SECRET_KEYS.map((k) => [k, flat[k] !== ''])));
}
