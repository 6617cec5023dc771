// System: host name and language, password change, backup and restore, factory reset, logs, reboot.
import type { Request, Response } from 'express';
import type { AdminDeps } from '../deps.js';
import { fieldViews, formString } from '../forms.js';
import { isHtmx, render } from '../render.js';
import { showForm, saveForm, type FormPage, type FormState } from '../settings-form.js';
import { applyChangesLater } from '../apply-changes.js';
import { hashPassword, passwordProblem } from '../security/password.js';
import { checkAdminPassword, refusalText, type CheckResult } from '../security/check-secret.js';
import { parseMultipart } from '../multipart.js';
import { claimPlaces, startSession } from './auth.js';
import { SESSION_COOKIE, cookieHeader } from '../security/session.js';
import { SettingsValidationError, backupCarriesSecrets, type SettingKey } from '../../../appliance/src/settings/index.js';
import type { Translator } from '../i18n/index.js';

const KEYS: readonly SettingKey[] = ['system.hostname', 'system.language'];

export function systemRoutes(d: AdminDeps) {
  const page: FormPage = {
    keys: KEYS,
    page: 'system.njk',
    fragment: '_system-form.njk',
    url: '/system',
    async context(req: Request, res: Response, st: FormState) {
      const t = res.locals.t as Translator;
      return {
        f: fieldViews(KEYS, d.store.getFlat(), t, st.errors, st.submitted),
        state: st,
        message: res.locals.message ?? (req.query.done ? t(`done_${String(req.query.done)}` as never) : ''),
        passwordErrors: res.locals.passwordErrors ?? {},
        restoreErrors: res.locals.restoreErrors ?? {},
      };
    },
  };

  const passwordCheck = (req: Request, typed: string): Promise<CheckResult> => checkAdminPassword(d, req, typed);
  /** The message for a failed re-check: wrong, or refused by the guessing limits (with Retry-After). */
  const wrongText = (res: Response, r: CheckResult, t: Translator): string => (!r.ok && r.refusal ? refusalText(t, res, r.refusal) : t('passwordWrong'));
  const statusOf = (r: CheckResult): number => (!r.ok && r.refusal ? 429 : 422);

  const again = async (req: Request, res: Response, status: number, locals: Record<string, unknown>): Promise<void> => {
    Object.assign(res.locals, locals);
    const st = { errors: {}, submitted: undefined, outcomes: [], saved: false };
    render(req, res, 'system.njk', await page.context(req, res, st), { status });
  };

  return {
    show: (req: Request, res: Response) => showForm(page, req, res),
    save: (req: Request, res: Response) => saveForm(d, page, req, res),

    async password(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      const next = formString(req.body, 'password');
      const problem = passwordProblem(next, formString(req.body, 'confirm'));
      if (problem) return again(req, res, 422, { passwordErrors: { password: t(problem) } });
      const r = await passwordCheck(req, formString(req.body, 'current'));
      if (!r.ok) return again(req, res, statusOf(r), { passwordErrors: { current: wrongText(res, r, t) } });
      // Every session ends (the secret rotates, the epoch rises); this browser gets a fresh one.
      d.admin.changePassword(await hashPassword(next));
      startSession(d, res);
      res.redirect(303, '/system?done=password');
    },

    backup(req: Request, res: Response): void {
      sendBackup(res, false);
    },

    async backupWithSecrets(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      const r = await passwordCheck(req, formString(req.body, 'password'));
      if (!r.ok) return again(req, res, statusOf(r), { message: wrongText(res, r, t) });
      sendBackup(res, true);
    },

    async restore(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      const form = Buffer.isBuffer(req.body) ? parseMultipart(req.body, req.get('content-type')) : null;
      const file = form?.files.backup;
      if (!form || !file || file.length === 0) return again(req, res, 422, { restoreErrors: { '': t('restoreNoFile') } });
      let changed: readonly SettingKey[];
      let ddnsTurnedOff = false;
      try {
        const parsed = JSON.parse(file.toString('utf8')) as unknown;
        // A backup that carries secrets (whatever its includesSecrets says) is restored only for
        // someone who knows the password; the store takes secrets only from one that says so, and
        // never the admin's credentials (NEVER_RESTORED).
        if (backupCarriesSecrets(parsed)) {
          const r = await passwordCheck(req, form.fields.password ?? '');
          if (!r.ok) return again(req, res, statusOf(r), { restoreErrors: { password: r.refusal ? refusalText(t, res, r.refusal) : t('restoreNeedsPassword') } });
        }
        ({ changed, ddnsTurnedOff } = d.store.import(parsed));
      } catch (e) {
        if (e instanceof SyntaxError) return again(req, res, 422, { restoreErrors: { '': t('restoreNotJson') } });
        if (e instanceof SettingsValidationError) return again(req, res, 422, { restoreErrors: e.errors });
        throw e;
      }
      applyChangesLater(d, changed, 'restore');
      res.redirect(303, `/system?done=${ddnsTurnedOff ? 'restore_ddns_off' : 'restore'}`);
    },

    /**
     * Everything back to its defaults and the box unclaimed: every session ends, and the root
     * helper issues a fresh claim code to the card and the HDMI console, so the box is protected
     * again at once. The first-run page then says where the code is, while the services reload.
     */
    async factoryReset(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      const r = await passwordCheck(req, formString(req.body, 'password'));
      if (!r.ok) return again(req, res, statusOf(r), { message: wrongText(res, r, t) });
      const { changed } = d.store.factoryReset();
      d.admin.reset();
      res.append('Set-Cookie', cookieHeader(SESSION_COOKIE, '', { maxAgeSec: 0 }));
      const issued = await d.helper.run('claim-reset', 60000);
      if (!issued.ok) console.error(`riffbox admin: factory reset: no new claim code (the box makes one at its next start): ${issued.output}`);
      // From a checkout the helper also names the code, for the terminal that started riffbox; on
      // the box its output never holds the code.
      else console.log(`riffbox admin: factory reset: ${d.helper.mode.kind === 'checkout' ? issued.output.replace(/\n/g, '; ') : `a new claim code is on the card (${claimPlaces(d).bootFile}) and the console`}`);
      // The phone goes to the claim page as soon as the new code exists; the services follow.
      applyChangesLater(d, changed, 'factory reset');
      res.redirect(303, '/setup');
    },

    async logs(req: Request, res: Response): Promise<void> {
      const r = await d.helper.run('logs', 20000);
      render(req, res, isHtmx(req) ? '_logs.njk' : 'logs.njk', { logs: r.output });
    },

    async reboot(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      const r = await d.helper.run('reboot', 20000);
      render(req, res, 'message.njk', { title: t('reboot'), message: r.output });
    },
  };

  function sendBackup(res: Response, withSecrets: boolean): void {
    const backup = d.store.export({ includeSecrets: withSecrets });
    const host = d.store.getFlat()['system.hostname'];
    res.set('Content-Disposition', `attachment; filename="${host}-settings${withSecrets ? '-with-secrets' : ''}.json"`);
    res.set('Cache-Control', 'no-store');
    res.type('application/json').send(JSON.stringify(backup, null, 2));
  }
}
