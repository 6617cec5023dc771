// Local client and mix: connect/disconnect, what to join and as whom, the ALSA device from the
// detected list, codec settings, and per musician a fader, pan, mute and solo with a meter.
import type { Request, Response } from 'express';
import type { AdminDeps } from '../deps.js';
import { fieldViews, formString } from '../forms.js';
import { isHtmx, render } from '../render.js';
import { showForm, saveForm, type FormPage, type FormState } from '../settings-form.js';
import { MIX_DEFAULT_ENTRY, SettingsValidationError, instrumentName, type MixEntry, type SettingKey } from '../../../appliance/src/settings/index.js';
import type { Translator } from '../i18n/index.js';
import type { ClientStats } from '../../../appliance/src/client/client-options.js';

const KEYS: readonly SettingKey[] = [
  'client.enabled', 'client.server', 'client.name', 'client.instrument', 'client.country', 'client.city', 'client.skill',
  'client.device', 'client.frames', 'client.quality', 'client.channels', 'client.muteMyself',
];

interface RemoteMusician { id: number; name: string; instrument?: string; instrumentId?: number }
interface DeviceList { current: string; devices: { pcm: string; name: string; captureChannels: number | null; playbackChannels: number | null }[] }

export function clientRoutes(d: AdminDeps) {
  const musicians = async (): Promise<{ list: (RemoteMusician & { mix: MixEntry; level: number })[]; error: string }> => {
    const mix = d.store.getFlat()['client.mix'];
    try {
      const r = await d.client.call<{ clients: RemoteMusician[] }>('jamulusclient/getClientList');
      const levels = d.clientLive.current();
      return {
        list: r.clients.map((c, i) => ({
          ...c,
          instrument: c.instrument ?? instrumentName(c.instrumentId ?? 0),
          mix: Object.prototype.hasOwnProperty.call(mix, c.name) ? (mix[c.name] as MixEntry) : MIX_DEFAULT_ENTRY,
          level: Math.max(0, Math.min(9, levels[i] ?? 0)),
        })),
        error: '',
      };
    } catch (e) {
      return { list: [], error: (e as Error).message };
    }
  };

  const page: FormPage = {
    keys: KEYS,
    page: 'client.njk',
    fragment: '_client-form.njk',
    url: '/client',
    async context(_req: Request, res: Response, st: FormState) {
      const t = res.locals.t as Translator;
      const s = d.store.getFlat();
      const f = fieldViews(KEYS, s, t, st.errors, st.submitted);
      const [devices, stats, m] = await Promise.all([
        d.client.call<DeviceList>('riffbox/listDevices').catch(() => null),
        d.client.call<ClientStats>('riffbox/getStats').catch(() => null),
        musicians(),
      ]);
      const current = st.submitted?.['client.device'] ?? s['client.device'];
      const names = (devices?.devices ?? []).map((x) => ({
        name: x.pcm,
        description: x.name === x.pcm ? '' : `${x.name}${x.captureChannels ? ` (${x.captureChannels} in / ${x.playbackChannels ?? 0} out)` : ''}`,
      }));
      if (!names.some((n) => n.name === current)) names.unshift({ name: current, description: '' });
      return {
        f,
        state: st,
        devices: names.map((n) => ({ value: n.name, label: n.description ? `${n.name} — ${n.description}` : n.name, selected: n.name === current })),
        stats,
        clientError: stats ? '' : m.error || t('clientNotRunning'),
        musicians: m.list,
      };
    },
  };

  return {
    show: (req: Request, res: Response) => showForm(page, req, res),
    save: (req: Request, res: Response) => saveForm(d, page, req, res),

    async connect(req: Request, res: Response): Promise<void> {
      const on = req.path.endsWith('/connect');
      let error = '';
      try {
        await d.client.call(on ? 'riffbox/connect' : 'riffbox/disconnect', {}, 10000);
      } catch (e) {
        error = (e as Error).message;
      }
      if (isHtmx(req)) await showForm(page, req, res, { errors: error ? { '': error } : {}, submitted: undefined, outcomes: [], saved: false });
      else res.redirect(303, '/client');
    },

    /** One control of one musician: fader, pan, mute or solo. */
    async mix(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      const name = formString(req.body, 'name');
      const channel = Number(formString(req.body, 'channel'));
      const control = formString(req.body, 'control');
      const raw = formString(req.body, 'value');
      const entry: { -readonly [K in keyof MixEntry]?: MixEntry[K] } = {};
      if (control === 'fader' || control === 'pan') {
        if (!/^\d{1,3}$/.test(raw) || Number(raw) > 100) {
          res.status(422).type('text').send(t('mixBadValue'));
          return;
        }
        entry[control] = Number(raw);
      } else if ((control === 'mute' || control === 'solo') && ['true', 'on', 'false', 'off', ''].includes(raw)) {
        // A checkbox: 'on' or 'true' when ticked, nothing (or 'false') when not; anything else is refused.
        entry[control] = raw === 'true' || raw === 'on';
      } else {
        res.status(422).type('text').send(t('mixBadValue'));
        return;
      }
      const method = { fader: 'jamulusclient/setFaderLevel', pan: 'riffbox/setPan', mute: 'riffbox/setChannelMuted', solo: 'riffbox/setSolo' }[control];
      const param = { fader: { level: entry.fader }, pan: { pan: entry.pan }, mute: { muted: entry.mute }, solo: { solo: entry.solo } }[control];
      try {
        // The client stores the entry itself (by musician name), so it survives a reconnect.
        await d.client.call(method, { channelIndex: channel, ...param });
      } catch {
        // Client not running or musician gone: keep the choice for the next session.
        try {
          d.store.setMixEntry(name, entry);
        } catch (e) {
          if (e instanceof SettingsValidationError) {
            res.status(422).type('text').send(e.message);
            return;
          }
          throw e;
        }
      }
      res.vary('HX-Request');
      res.status(204).end();
    },

    async meters(req: Request, res: Response): Promise<void> {
      const m = await musicians();
      render(req, res, '_client-meters.njk', { musicians: m.list });
    },
  };
}
