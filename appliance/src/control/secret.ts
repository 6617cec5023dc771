// The shared secret of the JSON-RPC control channel, in a file readable only by the riffbox
// user and its group (the admin runs as riffbox-admin in group riffbox). Same rules as Jamulus's
// --jsonrpcsecretfile: the first line is the secret, ≥16 chars.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeAtomic } from '../fs/atomic-write.js';

export const MIN_SECRET_LENGTH = 16;

export class SecretFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretFileError';
  }
}

/** Reads and checks the secret; throws SecretFileError with a message fit for a startup failure. */
export function readSecretFile(path: string): string {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new SecretFileError(`cannot read JSON-RPC secret file ${path}: ${code}`);
  }
  return checkSecret(firstLine(content), path);
}

export function checkSecret(secret: string, source = 'secret'): string {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new SecretFileError(
      `JSON-RPC secret in ${source} is too short: the first line must be at least ${MIN_SECRET_LENGTH} characters (it has ${secret.length})`,
    );
  }
  return secret;
}

function firstLine(content: string): string {
  const nl = content.indexOf('\n');
  const line = nl < 0 ? content : content.slice(0, nl);
  // A file edited on Windows ends lines with CRLF; the CR is not part of the secret.
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Owner and group (the services and the admin), nobody else. */
export const SECRET_FILE_MODE = 0o640;

/**
 * Writes a fresh random secret to `path`, mode 0640, atomically: a crash leaves either the old
 * file or the new one, never a truncated secret that would lock every service out.
 */
export function createSecretFile(path: string): string {
  const secret = randomBytes(32).toString('base64url');
  writeAtomic(path, `${secret}\n`, SECRET_FILE_MODE);
  return secret;
}

/** First boot: reads the secret, creating the file if it does not exist yet. */
export function ensureSecretFile(path: string): string {
  try {
    return readSecretFile(path);
  } catch (e) {
    if (e instanceof SecretFileError && e.message.endsWith(': ENOENT')) return createSecretFile(path);
    throw e;
  }
}
