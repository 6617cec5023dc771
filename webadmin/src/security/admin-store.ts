// The admin's own database (/var/lib/riffbox-admin/admin.db, 0600, user riffbox-admin): the
// password hash, the session secret and epoch, the claim code's hash and the secret settings (DDNS
// password and token). The server and client run as another user and cannot open it; settings.db,
// which they share, holds no secret.
//
// Every decision that must happen once is a compare-and-set inside one IMMEDIATE transaction:
// better-sqlite3 is synchronous, so nothing can interleave between the check and the write.
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { SecretSettingsBackend } from '../../../appliance/src/settings/index.js';

export interface AuthState {
  /** scrypt hash of the admin password; '' while the box is unclaimed. */
  readonly passwordHash: string;
  readonly sessionSecret: string;
  /** Part of every session cookie; raising it ends every session at once. */
  readonly sessionEpoch: number;
  /** scrypt hash of the claim code the root helper issued; '' when none is outstanding. */
  readonly claimCodeHash: string;
  readonly claimCodeIssuedAt: string;
  readonly claimedAt: string;
}

export type ClaimOutcome = 'won' | 'already-claimed' | 'code-changed';

/** Whether secrets handed over by settings migration 3 are still to be taken (once, at creation). */
type LegacyImport = 'pending' | 'done';

const SCHEMA = `
  CREATE TABLE auth (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    password_hash        TEXT    NOT NULL DEFAULT '',
    session_secret       TEXT    NOT NULL,
    session_epoch        INTEGER NOT NULL DEFAULT 1,
    claim_code_hash      TEXT    NOT NULL DEFAULT '',
    claim_code_issued_at TEXT    NOT NULL DEFAULT '',
    claimed_at           TEXT    NOT NULL DEFAULT '',
    legacy_import        TEXT    NOT NULL DEFAULT 'pending' CHECK (legacy_import IN ('pending', 'done'))
  );
  CREATE TABLE secret_settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
`;
const VERSION = 1;

function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function now(): string {
  return new Date().toISOString();
}

interface AuthRow {
  password_hash: string;
  session_secret: string;
  session_epoch: number;
  claim_code_hash: string;
  claim_code_issued_at: string;
  claimed_at: string;
  legacy_import: LegacyImport;
}

export class AdminStoreTooNewError extends Error {
  constructor(found: number) {
    super(`the admin's database is from a newer riffbox (version ${found}); this image knows up to ${VERSION}`);
    this.name = 'AdminStoreTooNewError';
  }
}

export class AdminStore implements SecretSettingsBackend {
  private constructor(private readonly db: Db, readonly path: string) {}

  static open(path: string): AdminStore {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new Database(path, { timeout: 5000 });
    try {
      // Only this user may read it, whatever the umask of the process that created it.
      if (statSync(path).uid === process.getuid?.()) chmodSync(path, 0o600);
      // A rollback journal, not WAL: written a few times a month, and a read-only opener (tests,
      // inspection) never has to create a -shm file beside it.
      db.pragma('journal_mode = DELETE');
      db.pragma('synchronous = FULL');
      db.pragma('secure_delete = ON');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > VERSION) throw new AdminStoreTooNewError(version);
      if (version < VERSION) {
        db.transaction(() => {
          db.exec(SCHEMA);
          db.prepare('INSERT INTO auth (id, session_secret) VALUES (1, ?)').run(newSecret());
          db.pragma(`user_version = ${VERSION}`);
        }).immediate();
      }
    } catch (e) {
      db.close();
      throw e;
    }
    return new AdminStore(db, path);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  auth(): AuthState {
    const r = this.row();
    return Object.freeze({
      passwordHash: r.password_hash,
      sessionSecret: r.session_secret,
      sessionEpoch: r.session_epoch,
      claimCodeHash: r.claim_code_hash,
      claimCodeIssuedAt: r.claim_code_issued_at,
      claimedAt: r.claimed_at,
    });
  }

  claimed(): boolean {
    return this.row().password_hash !== '';
  }

  /**
   * First run: sets the password if, and only if, the box is still unclaimed and the claim code the
   * caller verified is still the outstanding one. Exactly one of any number of concurrent claims
   * wins; the session secret rotates, every older session ends, and the code is spent.
   */
  claim(verifiedCodeHash: string, passwordHash: string): ClaimOutcome {
    return this.db.transaction((): ClaimOutcome => {
      const r = this.row();
      if (r.password_hash !== '') return 'already-claimed';
      if (r.claim_code_hash === '' || r.claim_code_hash !== verifiedCodeHash) return 'code-changed';
      this.db
        .prepare(`UPDATE auth SET password_hash = ?, session_secret = ?, session_epoch = session_epoch + 1,
                  claim_code_hash = '', claim_code_issued_at = '', claimed_at = ?`)
        .run(passwordHash, newSecret(), now());
      return 'won';
    }).immediate();
  }

  /** A new password from the page (the caller checked the current one): every session ends. */
  changePassword(passwordHash: string): void {
    this.db.prepare('UPDATE auth SET password_hash = ?, session_secret = ?, session_epoch = session_epoch + 1').run(passwordHash, newSecret());
  }

  /**
   * A password the owner wrote into riffbox.txt (first boot, or recovery with the card): taken
   * whatever the state, since holding the card is the proof. Every session ends, any code is spent.
   */
  setPasswordFromBootFile(passwordHash: string): void {
    this.db
      .prepare(`UPDATE auth SET password_hash = ?, session_secret = ?, session_epoch = session_epoch + 1,
                claim_code_hash = '', claim_code_issued_at = '', claimed_at = ?`)
      .run(passwordHash, newSecret(), now());
  }

  /** Logout: every session of every browser ends (the box has one owner). */
  endSessions(): void {
    this.db.prepare('UPDATE auth SET session_epoch = session_epoch + 1').run();
  }

  /** Records the hash of a code the root helper issued; refused (false) once the box is claimed. */
  issueClaimCode(codeHash: string): boolean {
    return this.db.transaction((): boolean => {
      if (this.row().password_hash !== '') return false;
      this.db.prepare('UPDATE auth SET claim_code_hash = ?, claim_code_issued_at = ?').run(codeHash, now());
      return true;
    }).immediate();
  }

  /** Factory reset: unclaimed, no secrets, every session ended. The helper issues the next code. */
  reset(): void {
    this.db.transaction(() => {
      this.db
        .prepare(`UPDATE auth SET password_hash = '', session_secret = ?, session_epoch = session_epoch + 1,
                  claim_code_hash = '', claim_code_issued_at = '', claimed_at = ''`)
        .run(newSecret());
      this.db.prepare('DELETE FROM secret_settings').run();
    }).immediate();
  }

  // ---- secret settings (SecretSettingsBackend) ----

  readSecrets(): Readonly<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const { key, value } of this.db.prepare('SELECT key, value FROM secret_settings').all() as { key: string; value: string }[]) {
      try {
        out[key] = JSON.parse(value);
      } catch {
        // Not JSON: the settings store falls back to the default.
      }
    }
    return out;
  }

  writeSecrets(values: Readonly<Record<string, unknown>>): void {
    const put = this.db.prepare('INSERT INTO secret_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    const del = this.db.prepare('DELETE FROM secret_settings WHERE key = ?');
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(values)) {
        if (v === '' || v === undefined) del.run(k);
        else put.run(k, JSON.stringify(v));
      }
    }).immediate();
  }

  // ---- the one-time take-over of secrets from settings.db (settings migration 3) ----

  legacyImportPending(): boolean {
    return this.row().legacy_import === 'pending';
  }

  /**
   * Takes the rows settings migration 3 set aside. Runs while `legacy_import` is 'pending', which it
   * is only from this store's creation until the first import: rows the server might add to the
   * hand-off table later are never read.
   */
  importLegacy(rows: Readonly<Record<string, string>>, secretKeys: readonly string[]): void {
    this.db.transaction(() => {
      if (this.row().legacy_import !== 'pending') return;
      const hash = parseJson(rows['system.adminPasswordHash']);
      if (typeof hash === 'string' && hash.startsWith('scrypt$')) {
        // The session secret is not taken over: sessions issued before are void anyway.
        this.db.prepare(`UPDATE auth SET password_hash = ?, claimed_at = ?, claim_code_hash = '' WHERE password_hash = ''`).run(hash, now());
      }
      const put = this.db.prepare('INSERT OR IGNORE INTO secret_settings (key, value) VALUES (?, ?)');
      for (const k of secretKeys) {
        const v = parseJson(rows[k]);
        if (typeof v === 'string' && v !== '') put.run(k, JSON.stringify(v));
      }
      this.db.prepare(`UPDATE auth SET legacy_import = 'done'`).run();
    }).immediate();
  }

  private row(): AuthRow {
    return this.db.prepare('SELECT * FROM auth WHERE id = 1').get() as AuthRow;
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
