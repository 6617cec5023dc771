// One operation on the admin's store, run by the root helper as a child process under the
// admin's own user (as-admin.ts): the store is only ever opened by the user it belongs to, so
// root never creates a file there that the admin could not open. Reads one JSON request on
// stdin, prints one JSON answer on stdout.
import { openAdminStores } from '../security/open-stores.js';
import { AdminStore } from '../security/admin-store.js';

export type StoreOp =
  | { readonly op: 'state' }
  | { readonly op: 'set-password'; readonly hash: string }
  | { readonly op: 'issue-claim'; readonly hash: string }
  | { readonly op: 'read-secrets' };

export interface StoreRequest {
  readonly settingsDb: string;
  readonly adminDb: string;
  readonly request: StoreOp;
}

export interface StoreAnswer {
  readonly claimed: boolean;
  readonly claimCodeHash: string;
  readonly issued?: boolean;
  readonly secrets?: Readonly<Record<string, unknown>>;
}

export function perform(r: StoreRequest): StoreAnswer {
  if (r.request.op === 'read-secrets') {
    const admin = AdminStore.open(r.adminDb);
    try {
      const a = admin.auth();
      return { claimed: a.passwordHash !== '', claimCodeHash: a.claimCodeHash, secrets: admin.readSecrets() };
    } finally {
      admin.close();
    }
  }
  // Opening both stores also migrates settings.db and takes over, once, the secrets its
  // migration 3 set aside, before the server starts (this runs from riffbox-bootconfig.service).
  const stores = openAdminStores(r.settingsDb, r.adminDb);
  try {
    let issued: boolean | undefined;
    if (r.request.op === 'set-password') stores.admin.setPasswordFromBootFile(r.request.hash);
    if (r.request.op === 'issue-claim') issued = stores.admin.issueClaimCode(r.request.hash);
    const a = stores.admin.auth();
    return { claimed: a.passwordHash !== '', claimCodeHash: a.claimCodeHash, ...(issued === undefined ? {} : { issued }) };
  } finally {
    stores.close();
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  // Files this creates in the shared /var/lib/riffbox (settings.db's -wal and -shm) must stay
  // writable by the services' group.
  process.umask(0o007);
  const chunks: Buffer[] = [];
  process.stdin.on('data', (c: Buffer) => chunks.push(c));
  process.stdin.on('end', () => {
    try {
      process.stdout.write(JSON.stringify(perform(JSON.parse(Buffer.concat(chunks).toString('utf8')) as StoreRequest)));
    } catch (e) {
      process.stderr.write(`riffbox-apply (admin store): ${(e as Error).message}\n`);
      process.exitCode = 1;
    }
  });
}
