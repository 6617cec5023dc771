// First run (claim the box with the code from its card or screen, and choose the password), login
// and logout.
import type { Request, Response } from 'express';
import type { AdminDeps } from '../deps.js';
import { render } from '../render.js';
import { formString } from '../forms.js';
import { hashPassword, passwordProblem, verifyPassword } from '../security/password.js';
import { PRELOGIN_COOKIE, SESSION_COOKIE, cookieHeader, issueSession } from '../security/session.js';
import { redirect } from '../security/middleware.js';
import { checkAdminPassword, guardedCheck, refusalText } from '../security/check-secret.js';
import { normalizeClaimCode } from '../security/claim-code.js';
import { BOOT_FILE, underRoot } from '../box-paths.js';
import type { ClaimOutcome } from '../security/admin-store.js';
import type { Translator } from '../i18n/index.js';

export function startSession(d: AdminDeps, res: Response): void {
  const auth = d.admin.auth();
  const { cookie } = issueSession(auth.sessionSecret, auth.sessionEpoch);
  res.append('Set-Cookie', cookieHeader(SESSION_COOKIE, cookie, { maxAgeSec: 7 * 24 * 3600, secure: d.secureCookies }));
  res.append('Set-Cookie', cookieHeader(PRELOGIN_COOKIE, '', { maxAgeSec: 0 }));
}

/** Where the owner finds the claim code, for the first-run page. */
export function claimPlaces(d: AdminDeps): { readonly checkout: boolean; readonly bootFile: string } {
  const mode = d.helper.mode;
  return mode.kind === 'checkout' ? { checkout: true, bootFile: underRoot(mode.root, BOOT_FILE) } : { checkout: false, bootFile: BOOT_FILE };
}

export function authRoutes(d: AdminDeps) {
  const setupPage = (req: Request, res: Response, status: number, errors: Record<string, string>): void => {
    const auth = d.admin.auth();
    render(req, res, 'setup.njk', { errors, codeIssued: auth.claimCodeHash !== '', ...claimPlaces(d) }, { status });
  };

  return {
    setupForm(req: Request, res: Response): void {
      setupPage(req, res, 200, {});
    },

    async setup(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      const password = formString(req.body, 'password');
      const problem = passwordProblem(password, formString(req.body, 'confirm'));
      const lang = formString(req.body, 'lang') === 'fr' ? 'fr' : 'en';
      if (problem) return setupPage(req, res, 422, { password: t(problem) });
      const codeHash = d.admin.auth().claimCodeHash;
      if (codeHash === '') return setupPage(req, res, 422, { code: t('claimNoCode') });
      const code = normalizeClaimCode(formString(req.body, 'code'));
      let outcome: ClaimOutcome | undefined;
      // The code is checked as a guarded attempt; the new password is hashed while that attempt
      // still holds its verification slot. The claim itself is one compare-and-set transaction
      // (AdminStore.claim), so of any number of concurrent claims exactly one wins.
      const r = await guardedCheck(
        d.guards.claim,
        req,
        async () => code !== null && verifyPassword(code, codeHash),
        async () => {
          outcome = d.admin.claim(codeHash, await hashPassword(password));
        },
      );
      if (!r.ok) {
        if (r.refusal) return setupPage(req, res, 429, { code: refusalText(t, res, r.refusal) });
        return setupPage(req, res, 422, { code: t(code === null ? 'claimCodeMissing' : 'claimCodeWrong') });
      }
      if (outcome === 'already-claimed') return redirect(req, res, '/login');
      if (outcome === 'code-changed') return setupPage(req, res, 409, { code: t('claimCodeChanged') });
      d.store.update({ 'system.language': lang });
      startSession(d, res);
      redirect(req, res, '/');
    },

    loginForm(req: Request, res: Response): void {
      if (req.session) return redirect(req, res, '/');
      render(req, res, 'login.njk', { error: '' });
    },

    async login(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      const r = await checkAdminPassword(d, req, formString(req.body, 'password'));
      if (!r.ok) {
        if (r.refusal) return render(req, res, 'login.njk', { error: refusalText(t, res, r.refusal) }, { status: 429 });
        return render(req, res, 'login.njk', { error: t('loginWrong') }, { status: 401 });
      }
      startSession(d, res);
      redirect(req, res, '/');
    },

    /** Ends every session (the box has one owner; a phone left logged in somewhere is logged out too). */
    logout(req: Request, res: Response): void {
      d.admin.endSessions();
      res.append('Set-Cookie', cookieHeader(SESSION_COOKIE, '', { maxAgeSec: 0 }));
      redirect(req, res, '/login');
    },
  };
}
