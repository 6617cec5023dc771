// Server: mode (with the "test in public mode first" checklist), port, profile, directory, limits.
// Saved in one transaction, then applied live through the server's riffbox/reload.
import type { Request, Response } from 'express';
import type { AdminDeps } from '../deps.js';
import { fieldViews, formString } from '../forms.js';
import { showForm, saveForm, type FormPage, type FormState } from '../settings-form.js';
import { GENRE_DIRECTORIES, isGenreDirectoryType, type SettingKey } from '../../../appliance/src/settings/index.js';
import type { Translator } from '../i18n/index.js';

const KEYS: readonly SettingKey[] = [
  'server.mode', 'server.port', 'server.name', 'server.city', 'server.country', 'server.directory',
  'server.maxClients', 'server.welcome', 'server.fastUpdate',
];

export function serverRoutes(d: AdminDeps) {
  const page: FormPage = {
    keys: KEYS,
    page: 'server.njk',
    fragment: '_server-form.njk',
    url: '/server',
    async context(_req: Request, res: Response, st: FormState) {
      const t = res.locals.t as Translator;
      const s = d.store.getFlat();
      const fields = fieldViews(KEYS, s, t, st.errors, st.submitted);
      const dirValue = st.submitted?.['server.directory'] ?? s['server.directory'];
      const custom = isGenreDirectoryType(dirValue) ? '' : dirValue;
      let profile: Record<string, unknown> | null = null;
      try {
        profile = await d.server.call<Record<string, unknown>>('jamulusserver/getServerProfile');
      } catch {
        profile = null;
      }
      return {
        f: fields,
        directories: GENRE_DIRECTORIES.map((g) => ({ value: g.type, label: `${g.label} (${g.host})`, selected: g.type === dirValue })),
        customDirectory: custom,
        customSelected: custom !== '',
        profile,
        state: st,
      };
    },
    prepare(body, patch) {
      if (patch['server.directory'] === 'custom') patch['server.directory'] = formString(body, 'directoryCustom').trim();
    },
  };
  return {
    show: (req: Request, res: Response) => showForm(page, req, res),
    save: (req: Request, res: Response) => saveForm(d, page, req, res),
  };
}
