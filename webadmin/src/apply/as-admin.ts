// Runs an admin-store operation (admin-store-op.ts) as the admin's user: uid riffbox-admin with the
// services' group riffbox (so settings.db's files stay shared), no supplementary groups, in a child
// process. From a checkout everything is one user, so it runs right here.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ApplyContext } from './context.js';
import { perform, type StoreAnswer, type StoreOp } from './admin-store-op.js';
import { ADMIN_DB, ADMIN_USER } from '../box-paths.js';

const OP_SCRIPT = fileURLToPath(new URL('./admin-store-op.js', import.meta.url));
/** The services' group, which owns settings.db. */
const SHARED_GROUP = 'riffbox';

/** A field of the line for `name` in an /etc/passwd- or /etc/group-like file. */
export function idOf(file: string, name: string, text = readFileSync(file, 'utf8')): number {
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  throw new Error(`no "${name}" in ${file}`);
}

export async function asAdmin(ctx: ApplyContext, request: StoreOp): Promise<StoreAnswer> {
  const r = { settingsDb: ctx.db, adminDb: ctx.path(ADMIN_DB), request };
  if (!ctx.system) return perform(r);
  const ids = { uid: idOf('/etc/passwd', ADMIN_USER), gid: idOf('/etc/group', SHARED_GROUP) };
  const body = JSON.stringify(r);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [OP_SCRIPT], {
      ...ids,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      cwd: '/',
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(err.trim() || `admin store operation ${request.op} exited with ${code}`));
      try {
        resolve(JSON.parse(out) as StoreAnswer);
      } catch {
        reject(new Error(`admin store operation ${request.op} answered ${JSON.stringify(out.slice(0, 200))}`));
      }
    });
    child.stdin.end(body);
  });
}
