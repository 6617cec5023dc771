// The admin app on an ephemeral loopback port with its own settings database and checkout root,
// for tests that talk HTTP to it without starting a separate process.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { SettingsStore } from '../../appliance/src/settings/index.js';
import { createApp, type AdminApp, type AdminAppOptions } from '../../webadmin/src/app.js';
import { listen, closeServer } from '../../webadmin/src/server.js';
import { adminDbFor, checkoutBootConfig } from '../../webadmin/src/main.js';
import { openAdminStores } from '../../webadmin/src/security/open-stores.js';
import type { AdminStore } from '../../webadmin/src/security/admin-store.js';
import type { HelperMode } from '../../webadmin/src/helper.js';
import { parseBootFile } from '../../webadmin/src/apply/boot-file.js';
import { BOOT_FILE } from '../../webadmin/src/box-paths.js';

/** The claim code an admin run from a checkout wrote to its "card": ROOT/boot/firmware/riffbox.txt. */
export function readClaimCode(root: string): string {
  const file = join(root, BOOT_FILE);
  const code = parseBootFile(readFileSync(file, 'utf8')).claim_code;
  if (code === '') throw new Error(`no claim code in ${file}`);
  return code;
}

export interface AdminInstance {
  readonly dir: string;
  readonly db: string;
  readonly root: string;
  readonly base: string;
  /** settings.db with the admin's store behind its secrets, as the admin opens it. */
  readonly store: SettingsStore;
  /** The admin's own database (password hash, sessions, claim code, DDNS secrets). */
  readonly adminStore: AdminStore;
  readonly admin: AdminApp;
  /** The claim code the start-up wrote to ROOT/boot/firmware/riffbox.txt, as a boot does. */
  claimCode(): string;
  stop(): Promise<void>;
}

export async function startAdmin(opts: {
  secretFile?: string;
  dir?: string;
  env?: Record<string, string>;
  app?: Pick<AdminAppOptions, 'guardOptions' | 'hostCheck'>;
} = {}): Promise<AdminInstance> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'riffbox-admin-'));
  const db = join(dir, 'settings.db');
  const root = join(dir, 'root');
  const mode: HelperMode = { kind: 'checkout', root, db, ...(opts.env ? { env: opts.env } : {}) };
  const stores = openAdminStores(db, adminDbFor(mode));
  const store = stores.settings;
  await checkoutBootConfig(mode);
  const admin = createApp({ store, admin: stores.admin, helper: mode, secretFile: opts.secretFile, ...opts.app });
  const server: Server = await listen(admin.app, 0, '127.0.0.1');
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    dir,
    db,
    root,
    base: `http://127.0.0.1:${port}`,
    store,
    adminStore: stores.admin,
    admin,
    claimCode: () => readClaimCode(root),
    async stop() {
      await closeServer(server);
      await admin.settle(60000);
      admin.close();
      stores.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
