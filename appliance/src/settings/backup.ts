// Backups: the file format, what a restore may take from one, and its parsing. The store applies
// them (SettingsStore.export / import).
import { LATEST_VERSION } from './migrations/index.js';
import { SECRET_KEYS } from './schema.js';
import { SettingsValidationError } from './validate.js';

export const BACKUP_FORMAT = 'riffbox-settings';

export interface SettingsBackup {
  readonly format: typeof BACKUP_FORMAT;
  readonly schemaVersion: number;
  readonly exportedAt: string;
  readonly includesSecrets: boolean;
  readonly settings: Readonly<Record<string, unknown>>;
}

/**
 * Keys a backup from riffbox before settings version 3 may carry but a restore never applies: the
 * admin's password hash and session secret are credentials, not settings (they now live in the
 * admin's store), and letting a file replace them would let anyone with a session lock the owner
 * out or mint sessions.
 */
export const NEVER_RESTORED = ['system.adminPasswordHash', 'system.sessionSecret'] as const;

/** Whether a backup (parsed JSON) carries secret values, whatever its `includesSecrets` says. */
export function backupCarriesSecrets(backup: unknown): boolean {
  if (typeof backup !== 'object' || backup === null) return false;
  const o = backup as { includesSecrets?: unknown; settings?: unknown };
  if (o.includesSecrets === true) return true;
  if (typeof o.settings !== 'object' || o.settings === null) return false;
  const settings = o.settings as Record<string, unknown>;
  return [...SECRET_KEYS, ...NEVER_RESTORED].some((k) => settings[k] !== undefined && settings[k] !== '');
}

export function parseBackup(input: unknown): SettingsBackup {
  let b = input;
  if (typeof b === 'string' || Buffer.isBuffer(b)) {
    try {
      b = JSON.parse(b.toString());
    } catch {
      throw new SettingsValidationError({ '': 'The backup is not a riffbox settings file (not JSON)' });
    }
  }
  if (typeof b !== 'object' || b === null || (b as { format?: unknown }).format !== BACKUP_FORMAT) {
    throw new SettingsValidationError({ '': 'The backup is not a riffbox settings file' });
  }
  const o = b as Record<string, unknown>;
  if (typeof o.schemaVersion !== 'number' || o.schemaVersion > LATEST_VERSION) {
    throw new SettingsValidationError({
      '': `The backup is from a newer riffbox (version ${String(o.schemaVersion)}); this image knows up to ${LATEST_VERSION}`,
    });
  }
  if (typeof o.settings !== 'object' || o.settings === null || Array.isArray(o.settings)) {
    throw new SettingsValidationError({ '': 'The backup holds no settings' });
  }
  return {
    format: BACKUP_FORMAT,
    schemaVersion: o.schemaVersion,
    exportedAt: String(o.exportedAt ?? ''),
    includesSecrets: o.includesSecrets === true,
    settings: o.settings as Record<string, unknown>,
  };
}
