import type { Database } from 'better-sqlite3';

/**
 * One schema step. `up` runs inside the transaction that also sets `PRAGMA user_version` to
 * `version`, so a step is applied completely or not at all. Steps never import the current
 * settings schema: they must keep working however that schema changes later.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Database): void;
}
