import type { Migration } from './types.js';

/**
 * The admin's credentials and the DDNS secrets, as versions 1–2 stored them among the settings.
 * Listed here rather than taken from the schema: a step must keep meaning what it meant.
 */
export const SECRETS_MOVED_OUT = ['system.adminPasswordHash', 'system.sessionSecret', 'ddns.password', 'ddns.token'] as const;

// Until version 2 the admin password hash, the session secret and the DDNS password lived in
// settings.db, which the internet-facing server opens read-write: a server taken over could read
// them or set its own password hash. From version 3 they live in the admin's own database, which
// only the admin's user can open. This step cannot write there (it runs in whichever service opens
// the file first), so it moves the rows to a hand-off table; the admin takes them over once, when
// its own store is created, and deletes them (webadmin/src/security/admin-store.ts).
export const migration003: Migration = {
  version: 3,
  name: 'admin-secrets-out',
  up(db) {
    db.exec(`
      CREATE TABLE admin_secrets_handoff (
        key   TEXT NOT NULL PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `);
    const keys = JSON.stringify(SECRETS_MOVED_OUT);
    db.prepare(`INSERT INTO admin_secrets_handoff (key, value)
                SELECT key, value FROM settings WHERE key IN (SELECT value FROM json_each(?)) AND value <> '""'`).run(keys);
    // Overwrite the freed pages too, so the old values do not linger in the file.
    db.pragma('secure_delete = ON');
    db.prepare(`DELETE FROM settings WHERE key IN (SELECT value FROM json_each(?))`).run(keys);
  },
};
