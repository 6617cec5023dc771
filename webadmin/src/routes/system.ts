// System: host name and language, password change, backup and restore, factory reset, logs, reboot.
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import type { AdminDeps } from '../deps.js';
import { fieldViews, formString } from '../forms.js';
import { isHtmx, render } from '../render.js';
import { showForm, saveForm, type FormPage, type FormState } from '../settings-form.js';
import { applyChanges } from '../apply-changes.js';
import { hashPassword, passwordProblem, verifyPassword } from '../security/password.js';
import { parseMultipart } from '../multipart.js';
import { startSession } from './auth.js';
import { SettingsValidationError, type SettingKey } from '../../../appliance/src/settings/index.js';
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

  const passwordOk = async (req: Request, field = 'password'): Promise<boolean> =>
    verifyPassword(formString(req.body, field), d.store.getFlat()['system.adminPasswordHash']);

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
      if (!(await passwordOk(req, 'current'))) return again(req, res, 422, { passwordErrors: { current: t('passwordWrong') } });
      const next = formString(req.body, 'password');
      const problem = passwordProblem(next, formString(req.body, 'confirm'));
      if (problem) return again(req, res, 422, { passwordErrors: { password: t(problem) } });
      // A new session secret logs out every other browser; this one gets a fresh session.
      d.store.update({ 'system.adminPasswordHash': await hashPassword(next), 'system.sessionSecret': randomBytes(32).toString('base64url') });
      startSession(d, res);
      res.redirect(303, '/system?done=password');
    },

    backup(req: Request, res: Response): void {
      sendBackup(res, false);
    },

    async backupWithSecrets(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      if (!(await passwordOk(req))) return again(req, res, 422, { message: t('passwordWrong') });
      sendBackup(res, true);
    },

    async restore(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      const form = Buffer.isBuffer(req.body) ? parseMultipart(req.body, req.get('content-type')) : null;
      const file = form?.files.backup;
      if (!form || !file || file.length === 0) return again(req, res, 422, { restoreErrors: { '': t('restoreNoFile') } });
      let changed: readonly SettingKey[];
      try {
        const parsed = JSON.parse(file.toString('utf8')) as { includesSecrets?: unknown };
        // Secrets may only be replaced by someone who knows the password.
        if (parsed.includesSecrets === true && !(await verifyPassword(form.fields.password ?? '', d.store.getFlat()['system.adminPasswordHash']))) {
          return again(req, res, 422, { restoreErrors: { password: t('restoreNeedsPassword') } });
        }
        changed = d.store.import(parsed).changed;
      } catch (e) {
        if (e instanceof SyntaxError) return again(req, res, 422, { restoreErrors: { '': t('restoreNotJson') } });
        if (e instanceof SettingsValidationError) return again(req, res, 422, { restoreErrors: e.errors });
        throw e;
      }
      await applyChanges(d, changed);
      // A restored password hash or session secret ends this session; log in again with it.
      res.redirect(303, '/system?done=restore');
    },

    async factoryReset(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      if (!(await passwordOk(req))) return again(req, res, 422, { message: t('passwordWrong') });
      const { changed } = d.store.factoryReset();
      await applyChanges(d, changed);
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
