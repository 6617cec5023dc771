// Security for every request: headers, the session, the first-run gate, CSRF on every
// state-changing request (the login and first-run forms included) and the login gate. The Host
// check (host-check.ts) runs before all of this.
import type { NextFunction, Request, Response } from 'express';
import type { AdminDeps } from '../deps.js';
import {
  PRELOGIN_COOKIE, SESSION_COOKIE, cookieHeader, csrfToken, csrfValid, newNonce, parseCookies, readSession, type Session,
} from './session.js';
import { isHtmx } from '../render.js';
import { langFromAcceptLanguage, translator, type Lang } from '../i18n/index.js';

declare module 'express-serve-static-core' {
  interface Request {
    session?: Session;
    csrfNonce?: string;
  }
}

/** Paths reachable without a session. */
const PUBLIC_PATHS = new Set(['/login', '/setup']);

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({
    'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  });
  next();
}

export function sessionAndCsrf(d: AdminDeps) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // One read of the admin's store per request: a session ended elsewhere (logout in another
    // browser, a password from riffbox.txt) is refused on the very next request.
    const auth = d.admin.auth();
    const secret = auth.sessionSecret;
    const cookies = parseCookies(req.get('cookie'));
    const session = readSession(secret, auth.sessionEpoch, cookies[SESSION_COOKIE]);
    let nonce: string;
    if (session) {
      req.session = session;
      nonce = session.nonce;
    } else {
      nonce = cookies[PRELOGIN_COOKIE] ?? '';
      if (!/^[A-Za-z0-9_-]{16,64}$/.test(nonce)) {
        nonce = newNonce();
        res.append('Set-Cookie', cookieHeader(PRELOGIN_COOKIE, nonce, { secure: d.secureCookies }));
      }
    }
    req.csrfNonce = nonce;
    const firstRun = auth.passwordHash === '';
    const lang: Lang = firstRun ? langFromAcceptLanguage(req.get('accept-language')) : d.store.getFlat()['system.language'];
    const t = translator(lang);
    res.locals.t = t;
    res.locals.lang = lang;
    res.locals.csrf = csrfToken(secret, nonce);
    res.locals.loggedIn = session !== undefined;
    res.locals.path = req.path;

    if (firstRun && req.path !== '/setup') return redirect(req, res, '/setup');
    if (!firstRun && req.path === '/setup') return redirect(req, res, session ? '/' : '/login');

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const token = req.get('X-CSRF-Token') ?? (typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>)._csrf : undefined) ?? req.query._csrf;
      if (!csrfValid(secret, nonce, token)) {
        res.status(403).type('text').send(t('csrfRefused'));
        return;
      }
    }
    if (!session && !PUBLIC_PATHS.has(req.path)) return redirect(req, res, '/login');
    next();
  };
}

/** 303 for browsers; htmx follows `HX-Redirect` instead (a 303 inside a swap would render the login into the fragment). */
export function redirect(req: Request, res: Response, to: string): void {
  if (isHtmx(req)) {
    res.set('HX-Redirect', to).status(204).end();
    return;
  }
  res.redirect(303, to);
}
