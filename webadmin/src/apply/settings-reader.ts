// The root helper's view of the settings: the database opened read-only, every stored value checked
// against the same schema the admin validated it with (a value that fails counts as its default).
// Read-only matters: the helper runs as root and must not create or migrate files the riffbox user owns.
// The secret settings are not in that database: withSecrets() asks the admin's store for them.
import Database from 'better-sqlite3';
import { SETTINGS, SETTING_KEYS, SECRET_KEYS, defaultSettings, isSecret, type FlatSettings, type SettingKey } from '../../../appliance/src/settings/index.js';
import type { ApplyContext } from './context.js';
import { asAdmin } from './as-admin.js';

export function readSettings(dbPath: string): FlatSettings {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    const out: Record<string, unknown> = { ...defaultSettings() };
    const rows = db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[];
    for (const { key, value } of rows) {
      if (!(SETTING_KEYS as readonly string[]).includes(key) || key === 'client.mix' || isSecret(key as SettingKey)) continue;
      const def = SETTINGS[key as SettingKey];
      try {
        const c = def.field.check(JSON.parse(value), def.label);
        if (c.ok) out[key] = c.value;
      } catch {
        // Not JSON: keep the default, as the store does.
      }
    }
    return Object.freeze(out) as FlatSettings;
  } finally {
    db.close();
  }
}

/** The settings with the secret ones filled in from the admin's store (read by its own user). */
export async function readSettingsWithSecrets(ctx: ApplyContext): Promise<FlatSettings> {
  const out: Record<string, unknown> = { ...readSettings(ctx.db) };
  const { secrets = {} } = await asAdmin(ctx, { op: 'read-secrets' });
  for (const k of SECRET_KEYS) {
    const def = SETTINGS[k];
    const c = secrets[k] === undefined ? null : def.field.check(secrets[k], def.label);
    if (c?.ok) out[k] = c.value;
  }
  return Object.freeze(out) as FlatSettings;
}
