// `riffbox admin [--port N] [--bind ADDR] [--db FILE] [--jsonrpc-secret-file FILE]`: the admin page.
// On the box (the app under /opt/riffbox) it reaches the OS through `sudo riffbox-apply`; from a
// checkout it runs the helper with RIFFBOX_ROOT (default: a `root` folder beside the database), so a
// developer's machine is never reconfigured.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdirSync } from 'node:fs';
import { parseServiceArgs, usage, applyOverrides, CliUsageError, DEFAULT_DB_PATH } from '../../appliance/src/settings/cli-overrides.js';
import { SettingsStore } from '../../appliance/src/settings/store.js';
import { resolveSecretFile } from '../../appliance/src/service-paths.js';
import { createApp } from './app.js';
import { listen, closeServer } from './server.js';
import type { HelperMode } from './helper.js';

const INSTALLED_APP = '/opt/riffbox/';

export function helperModeFor(db: string, env: NodeJS.ProcessEnv, moduleUrl = import.meta.url): HelperMode {
  if (env.RIFFBOX_ROOT && env.RIFFBOX_ROOT !== '/') return { kind: 'checkout', root: resolve(env.RIFFBOX_ROOT), db: resolve(db) };
  if (fileURLToPath(moduleUrl).startsWith(INSTALLED_APP)) return { kind: 'system' };
  return { kind: 'checkout', root: join(dirname(resolve(db)), 'root'), db: resolve(db) };
}

export async function runAdmin(argv: readonly string[]): Promise<number> {
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
    store = SettingsStore.open(db);
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

  const admin = createApp({ store, helper: helperModeFor(db, process.env), secretFile });
  let server;
  try {
    server = await listen(admin.app, port, bind);
  } catch (e) {
    admin.close();
    store.close();
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
      admin.close();
      store.close();
      done(0);
    };
    process.once('SIGTERM', () => void stop());
    process.once('SIGINT', () => void stop());
  });
}
