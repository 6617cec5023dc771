// `riffbox init --db FILE [--jsonrpc-secret-file F]`: what the image's first-boot unit runs, and what
// `riffbox all` does before starting the services. Idempotent: existing files are kept.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureSecretFile } from './control/secret.js';
import { SettingsStore } from './settings/store.js';
import { secretFileBeside } from './service-paths.js';
import { DEFAULT_DB_PATH } from './settings/cli-overrides.js';

export function runInit(argv: readonly string[]): number {
  let db = DEFAULT_DB_PATH;
  let secret: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if ((a === '--db' || a === '--jsonrpc-secret-file') && (v === undefined || v.startsWith('--'))) {
      console.error(`riffbox init: ${a} needs a value`);
      return 2;
    }
    if (a === '--db') db = argv[++i]!;
    else if (a === '--jsonrpc-secret-file') secret = argv[++i]!;
    else {
      console.error(`riffbox init: unknown option ${a} (usage: riffbox init [--db FILE] [--jsonrpc-secret-file FILE])`);
      return 2;
    }
  }
  const secretPath = secret ?? secretFileBeside(db);
  try {
    mkdirSync(dirname(db), { recursive: true });
    SettingsStore.open(db).close();
    mkdirSync(dirname(secretPath), { recursive: true });
    ensureSecretFile(secretPath);
  } catch (e) {
    console.error(`riffbox init: ${(e as Error).message}`);
    return 1;
  }
  console.log(`riffbox init: settings ${db}, JSON-RPC secret ${secretPath}`);
  return 0;
}
