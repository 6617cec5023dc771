// Sessions signed with the session secret of the admin's store: they survive an admin restart (the
// unit restarts on failure). Each carries the store's session epoch, read on every request, so
// raising the epoch (logout, password change, claim, factory reset, a password from riffbox.txt)
// ends every session at once without keeping a list. The CSRF token is derived from the session's
// nonce, so it needs no storage either.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'rb_session';
/** Before login, a nonce cookie that the login and first-run forms' CSRF tokens are bound to. */
export const PRELOGIN_COOKIE = 'rb_pre';
export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;

export interface Session {
  readonly nonce: string;
  readonly expiresAt: number;
}

function mac(secret: string, text: string): Buffer {
  return createHmac('sha256', secret).update(text).digest();
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

export function issueSession(secret: string, epoch: number, now = Date.now()): { cookie: string; session: Session } {
  const nonce = newNonce();
  const expiresAt = now + SESSION_TTL_MS;
  const body = `v2.${epoch}.${expiresAt}.${nonce}`;
  return { cookie: `${body}.${mac(secret, body).toString('base64url')}`, session: { nonce, expiresAt } };
}

/** The session a cookie proves, if it was signed with `secret` during the current `epoch` and has not expired. */
export function readSession(secret: string, epoch: number, cookie: string | undefined, now = Date.now()): Session | undefined {
  if (!cookie || secret === '' || cookie.length > 512) return undefined;
  const parts = cookie.split('.');
  if (parts.length !== 5 || parts[0] !== 'v2') return undefined;
  const body = parts.slice(0, 4).join('.');
  if (!equal(Buffer.from(parts[4] ?? '', 'base64url'), mac(secret, body))) return undefined;
  if (parts[1] !== String(epoch)) return undefined;
  const expiresAt = Number(parts[2]);
  if (!Number.isFinite(expiresAt) || expiresAt < now) return undefined;
  return { nonce: parts[3] ?? '', expiresAt };
}

export function csrfToken(secret: string, nonce: string): string {
  return mac(secret, `csrf:${nonce}`).toString('base64url');
}

export function csrfValid(secret: string, nonce: string, token: unknown): boolean {
  if (typeof token !== 'string' || token === '' || nonce === '' || secret === '') return false;
  return equal(Buffer.from(token, 'base64url'), mac(secret, `csrf:${nonce}`));
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    try {
      out[k] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // A malformed cookie from another app on the same host is ignored.
    }
  }
  return out;
}

export function cookieHeader(name: string, value: string, opts: { maxAgeSec?: number; secure?: boolean } = {}): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (opts.maxAgeSec !== undefined) parts.push(`Max-Age=${opts.maxAgeSec}`);
  if (opts.secure) parts.push('Secure');
  return parts.join('; ');
}
