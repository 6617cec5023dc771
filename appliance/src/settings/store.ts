// The settings database: one SQLite file shared by the three services. The admin writes it;
// services read it at start and again when asked to reload. See migrations/ for the tables.

import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { LATEST_VERSION, migrate, schemaVersion } from './migrations/index.js';
import {
  SETTINGS, SETTING_KEYS, SECRET_KEYS, defaultSettings, isSecret, toNested,
  type FlatSettings, type SettingKey, type Settings, type SettingsPatch,
} from './schema.js';
import { checkMixEntry, checkMixName, MIX_DEFAULT_ENTRY, MIX_MAX_ENTRIES, type Mix, type MixEntry } from './fields.js';
import { parseTextPatch, validatePatch, type FieldErrors, type PatchResult } from './validate.js';

export { SettingsDatabaseTooNewError } from './migrations/index.js';

/** Thrown by writes whose input is invalid; nothing was written. `errors` is keyed by setting. */
export class SettingsValidationError extends Error {
  constructor(readonly errors: FieldErrors) {
    super(Object.values(errors).join('; '));
    this.name = 'SettingsValidationError';
  }
}

export interface WriteResult {
  /** Keys whose value actually changed (a write of the same value changes nothing). */
  readonly changed: readonly SettingKey[];
  readonly revision: number;
}

export interface Changes {
  readonly revision: number;
  readonly keys: readonly SettingKey[];
}

export const BACKUP_FORMAT = 'riffbox-settings';

export interface SettingsBackup {
  readonly format: typeof BACKUP_FORMAT;
  readonly schemaVersion: number;
  readonly exportedAt: string;
  readonly includesSecrets: boolean;
  readonly settings: Readonly<Record<string, unknown>>;
}

interface MetaRow {
  revision: number;
  reset_revision: number;
  mix_revision: number;
  updated_at: string;
}

const MIX_KEY = 'client.mix' satisfies SettingKey;

export class SettingsStore {
  /** Stored values that no longer pass validation (a schema tightened later); defaults were used instead. */
  readonly problems: string[] = [];

  private constructor(
    private readonly db: Db,
    readonly path: string,
  ) {}

  static open(path: string): SettingsStore {
    const db = new Database(path, { timeout: 5000 });
    try {
      // Check before touching anything: a newer database must stay exactly as it is.
      const version = schemaVersion(db);
      if (version > LATEST_VERSION) migrate(db);
      db.pragma('journal_mode = WAL');
      // FULL, not WAL's usual NORMAL: with NORMAL a commit is not fsynced until the next
      // checkpoint, so pulling the Pi's plug right after "Saved" can roll the change back (the
      // file stays consistent, the user's edit is lost). Settings are written a few times per
      // session by a person, so one fsync per commit costs nothing that matters, and on an SD
      // card that loses power without warning "saved" has to mean saved.
      db.pragma('synchronous = FULL');
      // Keep the WAL file from growing on the SD card between checkpoints.
      db.pragma('journal_size_limit = 1048576');
      migrate(db);
    } catch (e) {
      db.close();
      throw e;
    }
    return new SettingsStore(db, path);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** The typed, nested settings: `get().server.port`. Defaults fill anything not stored. */
  get(): Settings {
    return toNested(this.getFlat());
  }

  getFlat(): FlatSettings {
    return this.db.transaction(() => this.readFlat())();
  }

  revision(): number {
    return this.meta().revision;
  }

  /** ISO time of the last committed change. */
  updatedAt(): string {
    return this.meta().updated_at;
  }

  /** What changed after `revision` (the value a service remembered when it last loaded). */
  changedSince(revision: number): Changes {
    return this.db.transaction((): Changes => {
      const meta = this.meta();
      if (meta.reset_revision > revision) return { revision: meta.revision, keys: SETTING_KEYS };
      const rows = this.db.prepare('SELECT key FROM settings WHERE rev > ?').pluck().all(revision) as string[];
      const keys = new Set(rows.filter((k): k is SettingKey => SETTING_KEYS.includes(k as SettingKey)));
      if (meta.mix_revision > revision) keys.add(MIX_KEY);
      return { revision: meta.revision, keys: SETTING_KEYS.filter((k) => keys.has(k)) };
    })();
  }

  /**
   * Validates every field of `patch` (typed values) against the current settings, then writes
   * them in one transaction. Throws SettingsValidationError and writes nothing if any is invalid.
   */
  update(patch: unknown): WriteResult {
    return this.write((current) => validatePatch(patch, current));
  }

  /** As update(), for text as typed into a form: `{'server.port': '22120'}`. */
  updateText(fields: Readonly<Record<string, string>>): WriteResult {
    return this.write((current) => parseTextPatch(fields, current));
  }

  /** Sets one musician's mix, leaving the others alone (a fader move from the phone). */
  setMixEntry(name: string, entry: Partial<MixEntry>): WriteResult {
    const bad = checkMixName(name);
    if (bad) throw new SettingsValidationError({ [MIX_KEY]: bad });
    return this.tx(() => {
      const existing = this.readMix()[name];
      const checked = checkMixEntry({ ...(existing ?? MIX_DEFAULT_ENTRY), ...entry }, JSON.stringify(name));
      if (!checked.ok) throw new SettingsValidationError({ [MIX_KEY]: checked.error });
      if (!existing && Object.keys(this.readMix()).length >= MIX_MAX_ENTRIES) {
        throw new SettingsValidationError({ [MIX_KEY]: `Mix may hold at most ${MIX_MAX_ENTRIES} musicians` });
      }
      if (existing && sameEntry(existing, checked.value)) return { changed: [], revision: this.meta().revision };
      const rev = this.bump({ mix: true });
      this.upsertMix(name, checked.value, rev);
      return { changed: [MIX_KEY], revision: rev };
    });
  }

  removeMixEntry(name: string): WriteResult {
    return this.tx(() => {
      if (this.readMix()[name] === undefined) return { changed: [], revision: this.meta().revision };
      this.bump({ mix: true });
      this.db.prepare('DELETE FROM client_mix WHERE name = ?').run(name);
      return { changed: [MIX_KEY], revision: this.meta().revision };
    });
  }

  /** A backup. Without `includeSecrets` the secret keys are left out entirely. */
  export(opts: { includeSecrets: boolean }): SettingsBackup {
    const flat = this.getFlat();
    const settings: Record<string, unknown> = {};
    for (const k of SETTING_KEYS) {
      if (isSecret(k) && !opts.includeSecrets) continue;
      settings[k] = flat[k];
    }
    return {
      format: BACKUP_FORMAT,
      schemaVersion: LATEST_VERSION,
      exportedAt: new Date().toISOString(),
      includesSecrets: opts.includeSecrets,
      settings,
    };
  }

  /**
   * Restores a backup (an object or its JSON text): every setting becomes the backup's value or
   * its default. A backup without secrets keeps the secrets already stored, so restoring it does
   * not silently drop the DDNS password. All or nothing: throws SettingsValidationError.
   */
  import(backup: unknown): WriteResult {
    const b = parseBackup(backup);
    return this.write((current) => {
      const base: Record<string, unknown> = { ...defaultSettings() };
      if (!b.includesSecrets) for (const k of SECRET_KEYS) base[k] = current[k];
      const full: Record<string, unknown> = { ...base, ...b.settings };
      return validatePatch(full, base as FlatSettings);
    });
  }

  /** Every setting back to its default, the admin password included (first-run again). */
  factoryReset(): WriteResult {
    return this.tx(() => {
      const rev = this.bump({ mix: true, reset: true });
      this.db.prepare('DELETE FROM settings').run();
      this.db.prepare('DELETE FROM client_mix').run();
      return { changed: SETTING_KEYS, revision: rev };
    });
  }

  // ---- internals ----

  private tx<T>(fn: () => T): T {
    // IMMEDIATE takes the write lock before reading, so the values validated are the values
    // overwritten even when another process writes at the same time.
    return this.db.transaction(fn).immediate();
  }

  private write(validate: (current: FlatSettings) => PatchResult): WriteResult {
    return this.tx(() => {
      const current = this.readFlat();
      const r = validate(current);
      if (!r.ok) throw new SettingsValidationError(r.errors);
      return this.applyPatch(current, r.patch);
    });
  }

  private applyPatch(current: FlatSettings, patch: SettingsPatch): WriteResult {
    const changed: SettingKey[] = [];
    for (const k of Object.keys(patch) as SettingKey[]) {
      if (!sameValue(k, current[k], patch[k])) changed.push(k);
    }
    if (changed.length === 0) return { changed, revision: this.meta().revision };
    const rev = this.bump({ mix: changed.includes(MIX_KEY) });
    const put = this.db.prepare('INSERT INTO settings (key, value, rev) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, rev = excluded.rev');
    for (const k of changed) {
      if (k === MIX_KEY) {
        const next = patch[MIX_KEY] as Mix;
        const keep = Object.keys(next);
        this.db.prepare(`DELETE FROM client_mix WHERE name NOT IN (SELECT value FROM json_each(?))`).run(JSON.stringify(keep));
        for (const [name, entry] of Object.entries(next)) this.upsertMix(name, entry, rev);
      } else {
        put.run(k, JSON.stringify(patch[k]), rev);
      }
    }
    return { changed: SETTING_KEYS.filter((k) => changed.includes(k)), revision: rev };
  }

  private bump(what: { mix?: boolean; reset?: boolean }): number {
    const rev = this.meta().revision + 1;
    this.db
      .prepare(`UPDATE meta SET revision = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                mix_revision = CASE WHEN ? THEN ? ELSE mix_revision END,
                reset_revision = CASE WHEN ? THEN ? ELSE reset_revision END`)
      .run(rev, what.mix ? 1 : 0, rev, what.reset ? 1 : 0, rev);
    return rev;
  }

  private upsertMix(name: string, e: MixEntry, rev: number): void {
    this.db
      .prepare(`INSERT INTO client_mix (name, fader, pan, mute, solo, rev) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET fader = excluded.fader, pan = excluded.pan,
                  mute = excluded.mute, solo = excluded.solo, rev = excluded.rev`)
      .run(name, e.fader, e.pan, e.mute ? 1 : 0, e.solo ? 1 : 0, rev);
  }

  private meta(): MetaRow {
    return this.db.prepare('SELECT revision, reset_revision, mix_revision, updated_at FROM meta WHERE id = 1').get() as MetaRow;
  }

  private readMix(): Mix {
    const rows = this.db.prepare('SELECT name, fader, pan, mute, solo FROM client_mix ORDER BY name').all() as {
      name: string; fader: number; pan: number; mute: number; solo: number;
    }[];
    return Object.freeze(
      Object.fromEntries(rows.map((r) => [r.name, Object.freeze({ fader: r.fader, pan: r.pan, mute: r.mute === 1, solo: r.solo === 1 })])),
    );
  }

  private readFlat(): FlatSettings {
    const out: Record<string, unknown> = { ...defaultSettings() };
    const rows = this.db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
    for (const { key, value } of rows) {
      if (!(SETTING_KEYS as readonly string[]).includes(key) || key === MIX_KEY) continue;
      const def = SETTINGS[key as SettingKey];
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        this.noteProblem(`${key}: stored value is not JSON; using the default`);
        continue;
      }
      const c = def.field.check(parsed, def.label);
      if (c.ok) out[key] = c.value;
      else this.noteProblem(`${key}: ${c.error}; using the default`);
    }
    out[MIX_KEY] = this.readMix();
    return Object.freeze(out) as FlatSettings;
  }

  private noteProblem(msg: string): void {
    if (!this.problems.includes(msg)) this.problems.push(msg);
  }
}

function sameEntry(a: MixEntry, b: MixEntry): boolean {
  return a.fader === b.fader && a.pan === b.pan && a.mute === b.mute && a.solo === b.solo;
}

function sameValue(key: SettingKey, a: unknown, b: unknown): boolean {
  if (key === MIX_KEY) {
    const ma = a as Mix;
    const mb = b as Mix;
    const ka = Object.keys(ma);
    if (ka.length !== Object.keys(mb).length) return false;
    return ka.every((k) => mb[k] !== undefined && sameEntry(ma[k] as MixEntry, mb[k] as MixEntry));
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

function parseBackup(input: unknown): SettingsBackup {
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
