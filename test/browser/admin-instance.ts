// The admin app on an ephemeral loopback port with its own settings database and checkout root,
// for tests that talk HTTP to it without starting a separate process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { SettingsStore } from '../../appliance/src/settings/index.js';
import { createApp, type AdminApp } from '../../webadmin/src/app.js';
import { listen, closeServer } from '../../webadmin/src/server.js';

export interface AdminInstance {
  readonly dir: string;
  readonly db: string;
  readonly root: string;
  readonly base: string;
  readonly store: SettingsStore;
  readonly admin: AdminApp;
  stop(): Promise<void>;
}

export async function startAdmin(opts: { secretFile?: string; dir?: string; env?: Record<string, string> } = {}): Promise<AdminInstance> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'riffbox-admin-'));
  const db = join(dir, 'settings.db');
  const root = join(dir, 'root');
  const store = SettingsStore.open(db);
  const admin = createApp({ store, helper: { kind: 'checkout', root, db, ...(opts.env ? { env: opts.env } : {}) }, secretFile: opts.secretFile });
  const server: Server = await listen(admin.app, 0, '127.0.0.1');
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    dir,
    db,
    root,
    base: `http://127.0.0.1:${port}`,
    store,
    admin,
    async stop() {
      await closeServer(server);
      admin.close();
      store.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
