// Opens the two databases the admin works with: settings.db (shared with the server and client)
// with the admin's own store behind its secret settings, and takes over, once, the secrets that
// settings migration 3 moved out of settings.db.
import { SettingsStore, SECRET_KEYS } from '../../../appliance/src/settings/index.js';
import { AdminStore } from './admin-store.js';

export interface AdminStores {
  readonly settings: SettingsStore;
  readonly admin: AdminStore;
  close(): void;
}

export function openAdminStores(settingsDb: string, adminDb: string): AdminStores {
  const admin = AdminStore.open(adminDb);
  let settings: SettingsStore;
  try {
    settings = SettingsStore.open(settingsDb, { secrets: admin });
    if (admin.legacyImportPending()) admin.importLegacy(settings.adminHandoff(), SECRET_KEYS);
    // Left behind only if a start died between the import and here; never read again.
    settings.clearAdminHandoff();
  } catch (e) {
    admin.close();
    throw e;
  }
  return {
    settings,
    admin,
    close() {
      settings.close();
      admin.close();
    },
  };
}
