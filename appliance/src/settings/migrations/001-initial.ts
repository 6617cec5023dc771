import type { Migration } from './types.js';

// Settings are rows of (dotted key, JSON value) rather than one column per setting, so adding a
// setting needs no migration; only a change of meaning does. `rev` is the store revision that
// last changed the row: services compare it with the revision they loaded to see what changed.
export const migration001: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE settings (
        key   TEXT    PRIMARY KEY NOT NULL,
        value TEXT    NOT NULL,
        rev   INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE meta (
        id             INTEGER PRIMARY KEY CHECK (id = 1),
        revision       INTEGER NOT NULL,
        reset_revision INTEGER NOT NULL,
        updated_at     TEXT    NOT NULL
      );

      INSERT INTO meta (id, revision, reset_revision, updated_at)
        VALUES (1, 0, 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
    `);
  },
};
