// Every check of a secret a visitor typed (admin password, claim code) goes through a guard
// (throttle.ts): counted before the scrypt verification starts, handed back only when it was right.
import type { Request, Response } from 'express';
import type { AdminDeps } from '../deps.js';
import type { Translator } from '../i18n/index.js';
import { verifyPassword } from './password.js';
import { sourceKey, type AttemptGuard, type Refusal } from './throttle.js';

export type CheckResult = { readonly ok: true } | { readonly ok: false; readonly refusal?: Refusal };

/**
 * Runs `verify` as one attempt of the request's source under `guard`. `whileRight` runs, still
 * inside the attempt (so it holds its slot of the verification cap), when the secret was right.
 */
export async function guardedCheck(
  guard: AttemptGuard,
  req: Request,
  verify: () => Promise<boolean>,
  whileRight?: () => Promise<void>,
): Promise<CheckResult> {
  const admission = guard.begin(sourceKey(req.socket.remoteAddress));
  if (!admission.ok) return { ok: false, refusal: admission };
  let right = false;
  try {
    right = await verify();
    if (right && whileRight) await whileRight();
  } finally {
    if (right) admission.attempt.succeeded();
    else admission.attempt.failed();
  }
  return right ? { ok: true } : { ok: false };
}

/** The admin password typed into `field` of the request's form, checked against the admin's store. */
export function checkAdminPassword(d: AdminDeps, req: Request, typed: string): Promise<CheckResult> {
  return guardedCheck(d.guards.password, req, () => verifyPassword(typed, d.admin.auth().passwordHash));
}

/** Sets Retry-After and returns the sentence to show for a refused attempt. */
export function refusalText(t: Translator, res: Response, r: Refusal): string {
  const seconds = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
  res.set('Retry-After', String(seconds));
  switch (r.reason) {
    case 'source': return t('loginThrottled', { seconds });
    case 'global': return t('throttledGlobal', { seconds });
    case 'busy': return t('throttledBusy');
  }
}
