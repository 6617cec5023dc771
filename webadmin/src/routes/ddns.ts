// Dynamic DNS: provider, host, credentials (write-only), "save and update now" through ddclient,
// and the last update as ddclient's cache records it.
import type { Request, Response } from 'express';
import type { AdminDeps } from '../deps.js';
import { fieldViews, formString } from '../forms.js';
import { showForm, saveForm, type FormPage, type FormState } from '../settings-form.js';
import { applyChanges } from '../apply-changes.js';
import type { SettingKey } from '../../../appliance/src/settings/index.js';
import type { Translator } from '../i18n/index.js';

const KEYS: readonly SettingKey[] = [
  'ddns.enabled', 'ddns.provider', 'ddns.server', 'ddns.host', 'ddns.username', 'ddns.password', 'ddns.token', 'ddns.zone', 'ddns.checkip',
  'ddns.addresses',
];

export function ddnsRoutes(d: AdminDeps) {
  const page: FormPage = {
    keys: KEYS,
    page: 'ddns.njk',
    fragment: '_ddns-form.njk',
    url: '/ddns',
    async context(_req: Request, res: Response, st: FormState) {
      const t = res.locals.t as Translator;
      const s = d.store.getFlat();
      const cache = await d.info.ddns.get().catch(() => []);
      return { f: fieldViews(KEYS, s, t, st.errors, st.submitted), state: st, provider: st.submitted?.['ddns.provider'] ?? s['ddns.provider'], cache };
    },
  };
  return {
    show: (req: Request, res: Response) => showForm(page, req, res),
    save: (req: Request, res: Response) =>
      saveForm(d, page, req, res, async (changed) => {
        const outcomes = await applyChanges(d, changed);
        if (formString(req.body, 'action') === 'update') {
          const r = await d.helper.run('ddns-update-now');
          d.info.ddns.invalidate();
          outcomes.push({ target: 'ddns-update', ok: r.ok, message: r.output });
        }
        return outcomes;
      }),
  };
}
