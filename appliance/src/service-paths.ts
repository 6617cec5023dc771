// Where a service finds its JSON-RPC secret when no flag names it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The secret file beside a settings database (what `riffbox init` and the image's first boot create). */
export function secretFileBeside(db: string): string {
  return join(dirname(db), 'jsonrpc.secret');
}

/**
 * The JSON-RPC secret file a service uses: the flag's, else the one beside the settings database if it
 * exists. Undefined means JSON-RPC stays off, as in Jamulus without --jsonrpcsecretfile.
 */
export function resolveSecretFile(flag: string | undefined, db: string | undefined): string | undefined {
  if (flag) return flag;
  if (db) {
    const beside = secretFileBeside(db);
    if (existsSync(beside)) return beside;
  }
  return undefined;
}
