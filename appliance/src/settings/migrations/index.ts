import type { Database } from 'better-sqlite3';
import type { Migration } from './types.js';
import { migration001 } from './001-initial.js';
import { migration002 } from './002-mix-table.js';
import { migration003 } from './003-admin-secrets-out.js';

export type { Migration } from './types.js';
export { SECRETS_MOVED_OUT } from './003-admin-secrets-out.js';

/** In order; `version` of entry i is i + 1. Append, never edit a released step. */
export const MIGRATIONS: readonly Migration[] = [migration001, migration002, migration003];

export const LATEST_VERSION = MIGRATIONS.length;

export class SettingsDatabaseTooNewError extends Error {
  constructor(readonly found: number, readonly known: number) {
    super(`settings database is from a newer riffbox (version ${found}); this image knows up to ${known}`);
    this.name = 'SettingsDatabaseTooNewError';
  }
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings `db` to `target` (default: the latest), one transaction per step. Refuses a database
 * newer than this code: someone re-flashed an older image over a newer one, and guessing at
 * unknown tables would lose their settings.
 */
export function migrate(db: Database, target: number = LATEST_VERSION): number {
  const current = schemaVersion(db);
  if (current > LATEST_VERSION) throw new SettingsDatabaseTooNewError(current, LATEST_VERSION);
  if (target > LATEST_VERSION || target < current) {
    throw new RangeError(`cannot migrate settings database from version ${current} to ${target}`);
  }
  for (const m of MIGRATIONS.slice(current, target)) {
    db.transaction(() => {
      m.up(db);
      // user_version lives in the database header and is rolled back with the transaction.
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return schemaVersion(db);
}
