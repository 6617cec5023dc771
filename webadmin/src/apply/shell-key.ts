// `ssh_authorized_key=` in riffbox.txt: the optional shell. The key goes to the image's first user
// (pi-gen's FIRST_USER_NAME, recorded at build time in /etc/riffbox/shell-user), whose password is
// locked, and SSH is turned on. Holding the card is the proof, as for the admin password.
import { chownSync, lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApplyContext } from './context.js';
import { writeAtomic } from './files.js';
import { noteDate } from './boot-file.js';
import { run } from './run.js';
import { SHELL_USER_FILE } from '../box-paths.js';

const KEY_LINE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]{40,}={0,3}( [\x20-\x7e]{0,200})?$/;

export function shellUser(ctx: ApplyContext): string | null {
  try {
    const name = readFileSync(ctx.path(SHELL_USER_FILE), 'utf8').trim();
    return /^[a-z][-a-z0-9_]{0,31}$/.test(name) ? name : null;
  } catch {
    return null;
  }
}

export function validShellKey(key: string): boolean {
  return KEY_LINE.test(key);
}

export interface KeyResult {
  readonly ok: boolean;
  /** For the dated note in riffbox.txt and the log. */
  readonly note: string;
}

interface Account {
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** The user's ids and home from /etc/passwd (from a checkout: a home under the root, no ids). */
function accountOf(ctx: ApplyContext, user: string): Account | null {
  if (!ctx.system) return { uid: -1, gid: -1, home: ctx.path(`/home/${user}`) };
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === user && /^\d+$/.test(f[2] ?? '') && /^\d+$/.test(f[3] ?? '') && f[5]) return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
  }
  return null;
}

/** Refuses a path the user could have pointed elsewhere (a symlink) before root writes through it. */
function realDirectory(path: string): boolean {
  try {
    const s = lstatSync(path);
    return s.isDirectory() && !s.isSymbolicLink();
  } catch {
    return false;
  }
}

export async function installShellKey(ctx: ApplyContext, key: string): Promise<KeyResult> {
  const when = noteDate();
  if (!validShellKey(key)) {
    return { ok: false, note: `was NOT installed on ${when}: not one public key line (ssh-ed25519 AAAA… comment)` };
  }
  const user = shellUser(ctx);
  const account = user === null ? null : accountOf(ctx, user);
  if (user === null || account === null) return { ok: false, note: `was NOT installed on ${when}: this image has no shell user` };
  const home = account.home;
  const sshDir = join(home, '.ssh');
  const file = join(sshDir, 'authorized_keys');
  const ids = ctx.system ? account : null;
  mkdirSync(home, { recursive: true, mode: 0o700 });
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  if (!realDirectory(home) || !realDirectory(sshDir)) return { ok: false, note: `was NOT installed on ${when}: ${sshDir} is not a plain directory` };
  let existing = '';
  try {
    if (!lstatSync(file).isSymbolicLink()) existing = readFileSync(file, 'utf8');
  } catch {
    // No keys yet.
  }
  const lines = existing.split('\n').filter((l) => l.trim() !== '');
  if (!lines.includes(key)) lines.push(key);
  // A temporary file and a rename: never writes through a link the user may have left there.
  writeAtomic(file, lines.join('\n') + '\n', 0o600);
  if (ids) {
    chownSync(sshDir, ids.uid, ids.gid);
    chownSync(file, ids.uid, ids.gid);
    // pi-gen gives a user without a password /usr/sbin/nologin; the key is for a shell.
    await run('usermod', ['--shell', '/bin/bash', user]);
    const r = await run('systemctl', ['enable', '--now', 'ssh.service']);
    if (r.code !== 0) return { ok: false, note: `was installed for user ${user} on ${when}, but SSH did not start: ${r.stderr.trim().split('\n')[0]}` };
  }
  return { ok: true, note: `was installed for user ${user} on ${when}${ctx.system ? ' and SSH turned on' : ' (checkout: SSH not touched)'}: ssh ${user}@<box>.local` };
}
