// Command-line flags of `riffbox server|client|admin`, derived from the schema's `cli` column.
// Flags override the stored settings for this run only; the store is never written from here.

import {
  SETTINGS, SETTING_KEYS, cliFlag, defaultSettings,
  type FlatSettings, type Service, type SettingKey, type SettingsPatch,
} from './schema.js';
import { parseTextPatch } from './validate.js';

export const DEFAULT_DB_PATH = '/var/lib/riffbox/settings.db';
export const DEFAULT_SECRET_FILE = '/var/lib/riffbox/jsonrpc.secret';

/** A bad command line; `message` is one line, and the CLI exits with status 2. */
export class CliUsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export interface ServiceArgs {
  /** Validated settings from flags; apply with applyOverrides(). */
  readonly overrides: SettingsPatch;
  readonly db: string | undefined;
  readonly jsonrpcSecretFile: string | undefined;
  readonly help: boolean;
}

interface ExtraFlag {
  readonly services: readonly Service[];
  readonly value: string | null;
  readonly help: string;
}

// Flags that are not one setting each.
const EXTRA_FLAGS: Readonly<Record<string, ExtraFlag>> = {
  'db': { services: ['server', 'client', 'admin'], value: 'FILE', help: `settings database (default ${DEFAULT_DB_PATH})` },
  'jsonrpc-secret-file': {
    services: ['server', 'client', 'admin'], value: 'FILE', help: `JSON-RPC secret, first line, ≥16 characters (default ${DEFAULT_SECRET_FILE})`,
  },
  'server-info': {
    services: ['server'], value: 'NAME;CITY;CC', help: 'server name, city and country (ISO two-letter or Qt number), as Jamulus --serverinfo',
  },
  'norecord': { services: ['server'], value: null, help: 'do not record until recording is started (Jamulus --norecord)' },
  'help': { services: ['server', 'client', 'admin'], value: null, help: 'show this help' },
};

const SERVER_INFO_KEYS = ['server.name', 'server.city', 'server.country'] as const satisfies readonly SettingKey[];

function settingFlags(service: Service): Map<string, SettingKey> {
  const m = new Map<string, SettingKey>();
  for (const k of SETTING_KEYS) {
    const f = cliFlag(k, service);
    if (f) m.set(f, k);
  }
  return m;
}

/**
 * Parses `argv` (without node and script, and without the service word) for `service`.
 * `current` is what the flags apply to (the stored settings), so cross-field rules see the
 * result. Throws CliUsageError with one line naming every bad flag.
 */
export function parseServiceArgs(service: Service, argv: readonly string[], current: FlatSettings = defaultSettings()): ServiceArgs {
  const flags = settingFlags(service);
  const texts: Record<string, string> = {};
  const origin = new Map<string, string>();
  let db: string | undefined;
  let secretFile: string | undefined;
  let help = false;
  let norecord = false;
  const errors: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--') || arg === '--') {
      errors.push(`unexpected argument "${arg}"`);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const inline: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);

    const extra = EXTRA_FLAGS[name]?.services.includes(service) ? EXTRA_FLAGS[name] : undefined;
    let negated = false;
    if (!flags.has(name) && !extra && name.startsWith('no-')) {
      const k = flags.get(name.slice(3));
      if (k && SETTINGS[k].field.kind === 'boolean' && inline === undefined) {
        name = name.slice(3);
        negated = true;
      }
    }
    const resolvedKey = flags.get(name);
    if (!resolvedKey && !extra) {
      errors.push(`unknown option --${name} for riffbox ${service} (see --help)`);
      // Its value, if it had one, is not a second error.
      if (inline === undefined && argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith('--')) i++;
      continue;
    }

    const isBool = resolvedKey !== undefined && SETTINGS[resolvedKey].field.kind === 'boolean';
    const takesValue = resolvedKey ? !isBool : extra?.value !== null;
    let value: string;
    if (negated) value = 'false';
    else if (inline !== undefined) value = inline;
    else if (!takesValue) value = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        errors.push(`--${name} needs a value`);
        continue;
      }
      value = next;
      i++;
    }

    if (resolvedKey) {
      texts[resolvedKey] = value;
      origin.set(resolvedKey, `--${name}`);
      continue;
    }
    switch (name) {
      case 'db':
        db = value;
        break;
      case 'jsonrpc-secret-file':
        secretFile = value;
        break;
      case 'help':
        help = value !== 'false';
        break;
      case 'norecord':
        if (value !== 'false') norecord = true;
        break;
      case 'server-info': {
        const parts = value.split(';');
        if (parts.length !== 3) {
          errors.push(`--server-info must be "NAME;CITY;CC", got ${parts.length} part${parts.length === 1 ? '' : 's'}`);
          break;
        }
        SERVER_INFO_KEYS.forEach((k, j) => {
          // An empty country means "not set", as in Jamulus.
          texts[k] = k === 'server.country' && (parts[j] ?? '').trim() === '' ? '0' : (parts[j] ?? '');
          origin.set(k, '--server-info');
        });
        break;
      }
    }
  }

  if (errors.length > 0) throw new CliUsageError(errors.join('; '));
  // As with Jamulus: naming a recordings folder records, unless --norecord says to wait.
  if (norecord) {
    texts['server.recordingEnabled'] = 'false';
    origin.set('server.recordingEnabled', '--norecord');
  } else if (texts['server.recordingDir'] !== undefined && texts['server.recordingDir'].trim() !== '') {
    texts['server.recordingEnabled'] = 'true';
    origin.set('server.recordingEnabled', '--recording');
  }

  const r = parseTextPatch(texts, current);
  if (!r.ok) {
    throw new CliUsageError(
      Object.entries(r.errors).map(([k, msg]) => `${origin.get(k) ?? k}: ${msg}`).join('; '),
    );
  }
  return { overrides: r.patch, db, jsonrpcSecretFile: secretFile, help };
}

/** The settings a service runs with: stored values, then flags on top. */
export function applyOverrides(stored: FlatSettings, overrides: SettingsPatch): FlatSettings {
  return Object.freeze({ ...stored, ...overrides }) as FlatSettings;
}

/** `--help` text, generated from the same table the parser uses. */
export function usage(service: Service): string {
  const rows: [string, string][] = [];
  for (const [flag, key] of settingFlags(service)) {
    const def = SETTINGS[key];
    const kind = def.field.kind;
    const arg = kind === 'boolean' ? '' : ` ${valueHint(key)}`;
    const dflt = def.field.format(def.default as never);
    rows.push([`--${flag}${arg}`, `${def.help || def.label}${dflt !== '' ? ` (default ${dflt})` : ''}`]);
  }
  for (const [flag, x] of Object.entries(EXTRA_FLAGS)) {
    if (x.services.includes(service)) rows.push([`--${flag}${x.value ? ` ${x.value}` : ''}`, x.help]);
  }
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return [`usage: riffbox ${service} [options]`, ...rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`)].join('\n');
}

function valueHint(key: SettingKey): string {
  const form = SETTINGS[key].field.form;
  if (form.input === 'select' && form.options.length <= 6) return form.options.map((o) => o.value).join('|');
  if (form.input === 'number') return 'N';
  return 'TEXT';
}
