// The settings database: one SQLite file shared by the three services. The admin writes it;
// services read it at start and again when asked to reload. See migrations/ for the tables.
// Secret settings (the DDNS password and token) are not in this file: the admin opens the store
// with its own secret store as `secrets`, and everyone else sees them as empty.

import Database from 'better-sqlite3';
import { chmodSync, statSync } from 'node:fs';
import type { Database as Db } from 'better-sqlite3';
import { LATEST_VERSION, migrate, schemaVersion } from './migrations/index.js';
import {
  SETTINGS, SETTING_KEYS, SECRET_KEYS, defaultSettings, isSecret, toNested,
  type FlatSettings, type SettingKey, type Settings, type SettingsPatch,
} from './schema.js';
import { checkMixEntry, checkMixName, MIX_DEFAULT_ENTRY, MIX_MAX_ENTRIES, type Mix, type MixEntry } from './mix-field.js';
import { SettingsValidationError, parseTextPatch, validatePatch, type PatchResult } from './validate.js';
import { BACKUP_FORMAT, NEVER_RESTORED, parseBackup, type SettingsBackup } from './backup.js';

export { SettingsDatabaseTooNewError } from './migrations/index.js';
export { SettingsValidationError } from './validate.js';

export interface WriteResult {
  /** Keys whose value actually changed (a write of the same value changes nothing). */
  readonly changed: readonly SettingKey[];
  readonly revision: number;
}

export interface ImportResult extends WriteResult {
  /** The backup had DDNS on but no secret for it, and none is stored: restored with DDNS off. */
  readonly ddnsTurnedOff: boolean;
}

export interface Changes {
  readonly revision: number;
  readonly keys: readonly SettingKey[];
}

interface MetaRow {
  revision: number;
  reset_revision: number;
  mix_revision: number;
  updated_at: string;
}

const MIX_KEY = 'client.mix' satisfies SettingKey;
const SETTINGS_FILE_MODE = 0o660;

/**
 * Where the secret settings live: the admin's own database, which the server and client cannot
 * open. Values are the typed setting values (strings today).
 */
export interface SecretSettingsBackend {
  readSecrets(): Readonly<Record<string, unknown>>;
  /** Writes these values in one transaction of the secret store. */
  writeSecrets(values: Readonly<Record<string, unknown>>): void;
}

export interface OpenOptions {
  /** Only the admin passes this; without it secret settings read as their defaults and cannot be written. */
  readonly secrets?: SecretSettingsBackend;
}

export class SettingsStore {
  /** Stored values that no longer pass validation (a schema tightened later); defaults were used instead. */
  readonly problems: string[] = [];

  private constructor(
    private readonly db: Db,
    readonly path: string,
    private readonly secrets: SecretSettingsBackend | undefined,
  ) {}

  static open(path: string, opts: OpenOptions = {}): SettingsStore {
    const db = new Database(path, { timeout: 5000 });
    try {
      shareWithGroup(path);
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
    return new SettingsStore(db, path, opts.secrets);
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

  /** A backup. Without `includeSecrets` the secret keys are left out entirely (and they are empty without the admin's store). */
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
   * its default. Secrets are taken from it only when it says `includesSecrets` (the caller checks
   * the password first); otherwise the secrets already stored are kept, so restoring a plain backup
   * does not silently drop the DDNS password. The admin's credentials (NEVER_RESTORED) are ignored.
   * A plain backup of a box with DDNS on carries no DDNS password; when none is stored either (after
   * a factory reset, on a new card), everything else is restored and DDNS comes back off, with its
   * provider and names, for the owner to give the password again. All or nothing otherwise: throws
   * SettingsValidationError.
   */
  import(backup: unknown): ImportResult {
    const b = parseBackup(backup);
    const carried: Record<string, unknown> = { ...b.settings };
    for (const k of NEVER_RESTORED) delete carried[k];
    if (!b.includesSecrets) for (const k of SECRET_KEYS) delete carried[k];
    let ddnsTurnedOff = false;
    const written = this.write((current) => {
      const base: Record<string, unknown> = { ...defaultSettings() };
      if (!b.includesSecrets) for (const k of SECRET_KEYS) base[k] = current[k];
      const full: Record<string, unknown> = { ...base, ...carried };
      const r = validatePatch(full, base as FlatSettings);
      if (r.ok || b.includesSecrets || full['ddns.enabled'] !== true) return r;
      if (!Object.keys(r.errors).every((k) => (SECRET_KEYS as readonly string[]).includes(k) && k.startsWith('ddns.'))) return r;
      ddnsTurnedOff = true;
      return validatePatch({ ...full, 'ddns.enabled': false }, base as FlatSettings);
    });
    return { ...written, ddnsTurnedOff };
  }

  /** Every setting back to its default, the admin password included (first-run again). */
  factoryReset(): WriteResult {
    return this.tx(() => {
      const rev = this.bump({ mix: true, reset: true });
      this.secrets?.writeSecrets(Object.fromEntries(SECRET_KEYS.map((k) => [k, SETTINGS[k].default])));
      this.db.prepare('DELETE FROM settings').run();
      this.db.prepare('DELETE FROM client_mix').run();
      return { changed: SETTING_KEYS, revision: rev };
    });
  }

  /** The secrets settings migration 3 set aside for the admin's store (see migrations/003). */
  adminHandoff(): Readonly<Record<string, string>> {
    const rows = this.db.prepare('SELECT key, value FROM admin_secrets_handoff').all() as { key: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  /** Empties the hand-off table, overwriting the freed pages, and checkpoints the WAL they went through. */
  clearAdminHandoff(): void {
    this.db.pragma('secure_delete = ON');
    const { changes } = this.db.prepare('DELETE FROM admin_secrets_handoff').run();
    if (changes > 0) this.db.pragma('wal_checkpoint(TRUNCATE)');
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
    const secretChanges = changed.filter(isSecret);
    if (secretChanges.length > 0) {
      if (!this.secrets) {
        throw new SettingsValidationError(Object.fromEntries(secretChanges.map((k) => [k, `${SETTINGS[k].label} is kept by the admin page only`])));
      }
      // The secret store commits first: if this process dies before the settings commit, the
      // secret is saved and the rest of the form is not, never the other way round.
      this.secrets.writeSecrets(Object.fromEntries(secretChanges.map((k) => [k, patch[k]])));
      if (secretChanges.length === changed.length) return { changed: SETTING_KEYS.filter((k) => changed.includes(k)), revision: this.meta().revision };
    }
    const rev = this.bump({ mix: changed.includes(MIX_KEY) });
    const put = this.db.prepare('INSERT INTO settings (key, value, rev) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, rev = excluded.rev');
    for (const k of changed) {
      if (isSecret(k)) continue;
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
      // A secret row here was not written by this code (secrets are in the admin's store): ignored.
      if (!(SETTING_KEYS as readonly string[]).includes(key) || key === MIX_KEY || isSecret(key as SettingKey)) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        this.noteProblem(`${key}: stored value is not JSON; using the default`);
        continue;
      }
      this.take(out, key as SettingKey, parsed);
    }
    if (this.secrets) {
      const secrets = this.secrets.readSecrets();
      for (const k of SECRET_KEYS) if (secrets[k] !== undefined) this.take(out, k, secrets[k]);
    }
    out[MIX_KEY] = this.readMix();
    return Object.freeze(out) as FlatSettings;
  }

  private take(out: Record<string, unknown>, key: SettingKey, value: unknown): void {
    const def = SETTINGS[key];
    const c = def.field.check(value, def.label);
    if (c.ok) out[key] = c.value;
    else this.noteProblem(`${key}: ${c.error}; using the default`);
  }

  private noteProblem(msg: string): void {
    if (!this.problems.includes(msg)) this.problems.push(msg);
  }
}

/**
 * settings.db is shared by the services (user riffbox) and the admin (user riffbox-admin) through
 * their group: SQLite creates the file 0644 less the umask, and gives its -wal and -shm files the
 * database's own mode, so the owner makes it 0660 once and the group can write all three.
 */
function shareWithGroup(path: string): void {
  try {
    const st = statSync(path);
    if ((st.mode & 0o777) !== SETTINGS_FILE_MODE && st.uid === process.getuid?.()) chmodSync(path, SETTINGS_FILE_MODE);
  } catch {
    // Not ours to change (the admin opening the services' file): tmpfiles.d sets it on the box.
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
