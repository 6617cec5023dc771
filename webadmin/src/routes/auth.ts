// First run (set the admin password), login and logout.
import type { Request, Response } from 'express';
import type { AdminDeps } from '../deps.js';
import { render } from '../render.js';
import { formString } from '../forms.js';
import { hashPassword, passwordProblem, verifyPassword } from '../security/password.js';
import { LoginThrottle } from '../security/throttle.js';
import { PRELOGIN_COOKIE, SESSION_COOKIE, cookieHeader, issueSession } from '../security/session.js';
import { redirect, sessionSecret } from '../security/middleware.js';
import type { Translator } from '../i18n/index.js';

export function startSession(d: AdminDeps, res: Response): void {
  const { cookie } = issueSession(sessionSecret(d));
  res.append('Set-Cookie', cookieHeader(SESSION_COOKIE, cookie, { maxAgeSec: 7 * 24 * 3600, secure: d.secureCookies }));
  res.append('Set-Cookie', cookieHeader(PRELOGIN_COOKIE, '', { maxAgeSec: 0 }));
}

function clientKey(req: Request): string {
  return req.socket.remoteAddress ?? 'unknown';
}

export function authRoutes(d: AdminDeps) {
  const throttle = new LoginThrottle();
  return {
    setupForm(_req: Request, res: Response): void {
      render(_req, res, 'setup.njk', { errors: {} });
    },

    async setup(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      const password = formString(req.body, 'password');
      const problem = passwordProblem(password, formString(req.body, 'confirm'));
      const lang = formString(req.body, 'lang') === 'fr' ? 'fr' : 'en';
      if (problem) {
        render(req, res, 'setup.njk', { errors: { password: t(problem) } }, { status: 422 });
        return;
      }
      // Another tab may have finished first run meanwhile; never overwrite a password here.
      if (d.store.getFlat()['system.adminPasswordHash'] !== '') return redirect(req, res, '/login');
      d.store.update({ 'system.adminPasswordHash': await hashPassword(password), 'system.language': lang });
      startSession(d, res);
      redirect(req, res, '/');
    },

    loginForm(req: Request, res: Response): void {
      if (req.session) return redirect(req, res, '/');
      render(req, res, 'login.njk', { error: '' });
    },

    async login(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      const key = clientKey(req);
      const wait = throttle.waitMs(key);
      if (wait > 0) {
        res.set('Retry-After', String(Math.ceil(wait / 1000)));
        render(req, res, 'login.njk', { error: t('loginThrottled', { seconds: Math.ceil(wait / 1000) }) }, { status: 429 });
        return;
      }
      const ok = await verifyPassword(formString(req.body, 'password'), d.store.getFlat()['system.adminPasswordHash']);
      if (!ok) {
        throttle.failure(key);
        render(req, res, 'login.njk', { error: t('loginWrong') }, { status: 401 });
        return;
      }
      throttle.success(key);
      startSession(d, res);
      redirect(req, res, '/');
    },

    logout(req: Request, res: Response): void {
      res.append('Set-Cookie', cookieHeader(SESSION_COOKIE, '', { maxAgeSec: 0 }));
      redirect(req, res, '/login');
    },
  };
}
