import type { Migration } from './types.js';

// Version 1 kept the per-musician mix as one JSON value under `client.mix`. Every fader move
// from the phone then rewrote the whole map, and two quick moves on different musicians could
// race. From version 2 each musician is a row, so a fader move writes one small row.
export const migration002: Migration = {
  version: 2,
  name: 'mix-table',
  up(db) {
    db.exec(`
      CREATE TABLE client_mix (
        name  TEXT    PRIMARY KEY NOT NULL,
        fader INTEGER NOT NULL CHECK (fader BETWEEN 0 AND 100),
        pan   INTEGER NOT NULL CHECK (pan BETWEEN 0 AND 100),
        mute  INTEGER NOT NULL CHECK (mute IN (0, 1)),
        solo  INTEGER NOT NULL CHECK (solo IN (0, 1)),
        rev   INTEGER NOT NULL
      ) WITHOUT ROWID;

      ALTER TABLE meta ADD COLUMN mix_revision INTEGER NOT NULL DEFAULT 0;
    `);

    const old = db.prepare(`SELECT value, rev FROM settings WHERE key = 'client.mix'`).get() as
      | { value: string; rev: number }
      | undefined;
    if (!old) return;

    let parsed: unknown;
    try {
      parsed = JSON.parse(old.value);
    } catch {
      parsed = undefined;
    }
    const insert = db.prepare(`INSERT OR REPLACE INTO client_mix (name, fader, pan, mute, solo, rev) VALUES (?, ?, ?, ?, ?, ?)`);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
        const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
        // Version 1 validated these on write; out-of-range leftovers fall back to the neutral mix
        // rather than failing the upgrade and leaving the box unable to start.
        const fader = inRange(e.fader) ? e.fader : 100;
        const pan = inRange(e.pan) ? e.pan : 50;
        insert.run(name.slice(0, 16), fader, pan, e.mute === true ? 1 : 0, e.solo === true ? 1 : 0, old.rev);
      }
    }
    db.prepare(`DELETE FROM settings WHERE key = 'client.mix'`).run();
    db.prepare(`UPDATE meta SET mix_revision = ?`).run(old.rev);
  },
};

function inRange(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 100;
}
