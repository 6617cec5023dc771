// `riffbox admin [--port N] [--bind ADDR] [--db FILE] [--jsonrpc-secret-file FILE]`: the admin page.
// On the box (the app under /opt/riffbox) it reaches the OS through `riffbox-apply@VERB.service`
// and keeps its secrets in /var/lib/riffbox-admin; from a checkout it runs the helper with
// RIFFBOX_ROOT (default: a `root` folder beside the database) and keeps its secrets under that
// root, so a developer's machine is never reconfigured.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { parseServiceArgs, usage, applyOverrides, CliUsageError, DEFAULT_DB_PATH } from '../../appliance/src/settings/cli-overrides.js';
import type { SettingsStore } from '../../appliance/src/settings/store.js';
import { resolveSecretFile } from '../../appliance/src/service-paths.js';
import { createApp } from './app.js';
import { listen, closeServer } from './server.js';
import type { HelperMode } from './helper.js';
import { contextFromEnv } from './apply/context.js';
import { bootConfig } from './apply/boot-config.js';
import { openAdminStores, type AdminStores } from './security/open-stores.js';
import { ADMIN_DB, underRoot } from './box-paths.js';

const INSTALLED_APP = '/opt/riffbox/';

export function helperModeFor(db: string, env: NodeJS.ProcessEnv, moduleUrl = import.meta.url): HelperMode {
  if (env.RIFFBOX_ROOT && env.RIFFBOX_ROOT !== '/') return { kind: 'checkout', root: resolve(env.RIFFBOX_ROOT), db: resolve(db) };
  if (fileURLToPath(moduleUrl).startsWith(INSTALLED_APP)) return { kind: 'system' };
  return { kind: 'checkout', root: join(dirname(resolve(db)), 'root'), db: resolve(db) };
}

/** The admin's own database for this mode. */
export function adminDbFor(mode: HelperMode): string {
  return underRoot(mode.kind === 'checkout' ? mode.root : '/', ADMIN_DB);
}

/**
 * From a checkout, what riffbox-bootconfig.service does at every boot of the box: take a password
 * from root/boot/firmware/riffbox.txt, or issue a claim code there (and print it on this terminal,
 * whose user holds the "card").
 */
export async function checkoutBootConfig(mode: HelperMode): Promise<void> {
  if (mode.kind !== 'checkout') return;
  // The helper's own code, in this process: from a checkout it runs as this user anyway, and a
  // start should not wait for three more node processes on a busy machine.
  const ctx = contextFromEnv({ RIFFBOX_ROOT: mode.root, RIFFBOX_DB: mode.db });
  try {
    await bootConfig(ctx, (line) => console.log(`riffbox admin: ${line}`));
  } catch (e) {
    console.error(`riffbox admin: riffbox.txt: ${(e as Error).message}`);
  }
}

export async function runAdmin(argv: readonly string[]): Promise<number> {
  let stores: AdminStores;
  let store: SettingsStore;
  let port: number;
  let bind: string;
  let secretFile: string | undefined;
  let db: string;
  try {
    const pre = parseServiceArgs('admin', argv);
    if (pre.help) {
      console.log(usage('admin'));
      return 0;
    }
    db = pre.db ?? DEFAULT_DB_PATH;
    mkdirSync(dirname(db), { recursive: true });
    stores = openAdminStores(db, adminDbFor(helperModeFor(db, process.env)));
    store = stores.settings;
    const args = parseServiceArgs('admin', argv, store.getFlat());
    const s = applyOverrides(store.getFlat(), args.overrides);
    port = s['admin.port'];
    bind = s['admin.bind'];
    secretFile = resolveSecretFile(args.jsonrpcSecretFile, db);
  } catch (e) {
    if (e instanceof CliUsageError) {
      console.error(`riffbox admin: ${e.message}`);
      return 2;
    }
    console.error(`riffbox admin: ${(e as Error).message}`);
    return 1;
  }

  const mode = helperModeFor(db, process.env);
  await checkoutBootConfig(mode);
  const admin = createApp({ store, admin: stores.admin, helper: mode, secretFile });
  let server;
  try {
    server = await listen(admin.app, port, bind);
  } catch (e) {
    admin.close();
    stores.close();
    const code = (e as NodeJS.ErrnoException).code;
    console.error(`riffbox admin: cannot listen on ${bind}:${port}: ${code === 'EADDRINUSE' ? 'the port is in use' : (e as Error).message}`);
    return 1;
  }
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  console.log(`riffbox admin listening on http://${bind}:${actualPort}`);

  return new Promise<number>((done) => {
    let stopping = false;
    const stop = async (): Promise<void> => {
      if (stopping) return;
      stopping = true;
      await closeServer(server);
      await admin.settle(20000);
      admin.close();
      stores.close();
      done(0);
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  });
}
