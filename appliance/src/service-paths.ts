// How the riffbox services find each other: everything is named relative to the settings database,
// so one path (`--db`, default /var/lib/riffbox/settings.db) decides them all, for the image's units,
// `riffbox all`, `riffbox init`, the admin, `riffbox status` and the tests alike.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The services that answer JSON-RPC. */
export type ControlledService = 'server' | 'client';

/** The secret file beside a settings database (what `riffbox init` and the image's first boot create). */
export function secretFileBeside(db: string): string {
  return join(dirname(db), 'jsonrpc.secret');
}

/**
 * The Unix socket on which a service answers JSON-RPC for the admin and `riffbox status`, beside the
 * database: /var/lib/riffbox/settings.db → /var/lib/riffbox/settings.server.sock. Named after the
 * database so two checkouts' databases in one folder never share a socket.
 */
export function controlSocketPath(db: string, service: ControlledService): string {
  return join(dirname(db), `${basename(db).replace(/\.db$/, '')}.${service}.sock`);
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
