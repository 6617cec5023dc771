// Recordings: start and stop, what is being recorded and by whom, why recording stopped, the limits. Start and
// stop are kept in the settings (so the box records again after a restart) and applied at once through the
// server's Jamulus methods, which also restart a recorder that stopped itself at the reserve.
import type { Request, Response } from 'express';
import type { AdminDeps } from '../deps.js';
import { fieldViews } from '../forms.js';
import { render } from '../render.js';
import { showForm, saveForm, type FormPage, type FormState } from '../settings-form.js';
import type { SettingKey } from '../../../appliance/src/settings/index.js';
import type { Translator } from '../i18n/index.js';
import { destinationOf, recorderDetails, type RecorderDetails } from '../recordings-context.js';
import { sessionsContext } from './recording-sessions.js';
import { storageContext } from './recording-storage.js';
import { formatBytes, formatSeconds } from '../recordings-format.js';

const KEYS: readonly SettingKey[] = ['server.recordingBits', 'server.recordingReserveMb', 'server.recordingMaxMinutes', 'server.recordingBufferMb'];

/** The status card's view of the recorder. */
export function liveContext(d: AdminDeps, details: RecorderDetails | null, t: Translator): Record<string, unknown> {
  if (!details) return { running: false, seen: '' };
  const s = details.session;
  const state = !details.initialised ? 'off' : details.enabled ? (s ? 'recording' : 'armed') : 'stopped';
  return {
    running: true,
    state,
    enabledSetting: d.store.getFlat()['server.recordingEnabled'],
    session: s && {
      name: s.name,
      length: formatSeconds(s.seconds),
      size: formatBytes(s.bytes),
      who: s.who,
    },
    // Why it is not recording: the recorder stopped itself, or the folder is unusable.
    stopNote: !details.enabled && details.lastStop ? t(`recStop_${details.lastStop.reason}` as never, { message: details.lastStop.message }) : '',
    errorMessage: details.errorMessage,
    dropped: details.droppedSeconds > 0 ? formatSeconds(details.droppedSeconds) : '',
    writerWaiting: details.writerBusySeconds >= 2 ? details.writerBusySeconds : 0,
    free: details.freeBytes === null ? '' : formatBytes(details.freeBytes),
    reserve: formatBytes(details.reserveBytes),
    directory: details.directory,
    destination: destinationOf(d),
    // A session that ended since the page last looked makes the list refresh itself.
    seen: details.lastSession?.path ?? '',
  };
}

export function recordingRoutes(d: AdminDeps) {
  const page: FormPage = {
    keys: KEYS,
    page: 'recordings.njk',
    fragment: '_recordings-form.njk',
    url: '/recordings',
    async context(_req: Request, res: Response, st: FormState) {
      const t = res.locals.t as Translator;
      const details = await recorderDetails(d);
      return {
        f: fieldViews(KEYS, d.store.getFlat(), t, st.errors, st.submitted),
        state: st,
        live: liveContext(d, details, t),
        ...(await storageContext(d, details)),
        ...sessionsContext(d, details, t),
      };
    },
  };

  const startStop = (on: boolean) => async (req: Request, res: Response): Promise<void> => {
    const t = res.locals.t as Translator;
    d.store.update({ 'server.recordingEnabled': on });
    let error = '';
    try {
      await d.server.call(on ? 'jamulusserver/startRecording' : 'jamulusserver/stopRecording');
    } catch (e) {
      error = (e as Error).message;
    }
    // A stopped session is finished by the writer a moment later; the list asks again when it is.
    const details = await recorderDetails(d);
    res.set('HX-Trigger', 'sessions-changed');
    render(req, res, '_recordings-live.njk', { live: { ...liveContext(d, details, t), actionError: error } });
  };

  return {
    show: (req: Request, res: Response) => showForm(page, req, res),
    save: (req: Request, res: Response) => saveForm(d, page, req, res),
    start: startStop(true),
    stop: startStop(false),
    async live(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      const live = liveContext(d, await recorderDetails(d), t);
      if (typeof req.query.seen === 'string' && req.query.seen !== live.seen) res.set('HX-Trigger', 'sessions-changed');
      render(req, res, '_recordings-live.njk', { live });
    },
  };
}
