// Stateless sessions signed with system.sessionSecret: they survive an admin restart (the unit
// restarts on failure) and all of them end at once when the secret is replaced (password change,
// factory reset). The CSRF token is derived from the session's nonce, so it needs no storage either.
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

export function issueSession(secret: string, now = Date.now()): { cookie: string; session: Session } {
  const nonce = newNonce();
  const expiresAt = now + SESSION_TTL_MS;
  const body = `v1.${expiresAt}.${nonce}`;
  return { cookie: `${body}.${mac(secret, body).toString('base64url')}`, session: { nonce, expiresAt } };
}

export function readSession(secret: string, cookie: string | undefined, now = Date.now()): Session | undefined {
  if (!cookie || secret === '') return undefined;
  const parts = cookie.split('.');
  if (parts.length !== 4 || parts[0] !== 'v1') return undefined;
  const body = parts.slice(0, 3).join('.');
  if (!equal(Buffer.from(parts[3] ?? '', 'base64url'), mac(secret, body))) return undefined;
  const expiresAt = Number(parts[1]);
  if (!Number.isFinite(expiresAt) || expiresAt < now) return undefined;
  return { nonce: parts[2] ?? '', expiresAt };
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
