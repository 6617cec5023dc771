// The recorded sessions: the list (date, length, musicians, size), a zip of a session streamed from the disk, a
// stereo mixdown made on request (off the services, in a low-priority worker) and played in the page, and
// deletion. A session is named in URLs by its storage and its folder name, both checked against what exists.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Request, Response } from 'express';
import type { AdminDeps } from '../deps.js';
import { render } from '../render.js';
import type { Translator } from '../i18n/index.js';
import { listSessions, readSession, type SessionSummary } from '../../../appliance/src/recorder/session-list.js';
import { MIXDOWN_FILE, SESSION_NAME } from '../../../appliance/src/recorder/recorder-facts.js';
import { recorderDetails, storages, type RecorderDetails, type StorageKey } from '../recordings-context.js';
import { formatBytes, formatSeconds } from '../recordings-format.js';
import { streamZip, zipLength, type ZipEntry } from '../zip-stream.js';

interface SessionView {
  key: string;
  storage: StorageKey;
  name: string;
  date: string;
  length: string;
  musicians: string[];
  size: string;
  status: string;
  dropped: string;
  live: boolean;
  mixdown: Record<string, unknown>;
}

function when(d: Date, lang: string): string {
  return d.toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

function mixdownView(d: AdminDeps, storage: StorageKey, s: SessionSummary): Record<string, unknown> {
  const job = d.mixdowns.get(s.dir);
  const url = `/recordings/${storage}/${s.name}`;
  if (s.mixdown && job?.state !== 'running' && job?.state !== 'queued') return { id: `mix-${storage}-${s.name}`, url, ready: true };
  if (job && (job.state === 'running' || job.state === 'queued')) return { id: `mix-${storage}-${s.name}`, url, working: true, percent: Math.round(job.fraction * 100) };
  return { id: `mix-${storage}-${s.name}`, url, error: job?.state === 'failed' ? job.error : '' };
}

export function sessionsContext(d: AdminDeps, details: RecorderDetails | null, t: Translator): Record<string, unknown> {
  const livePath = details?.session?.path ?? '';
  const sessions: SessionView[] = [];
  for (const [storage, dir] of storages(d, details)) {
    for (const s of listSessions(dir)) {
      const live = s.dir === livePath;
      sessions.push({
        key: `${storage}/${s.name}`,
        storage,
        name: s.name,
        date: when(s.startedAt, t.lang),
        length: formatSeconds(s.seconds),
        musicians: s.musicians,
        size: formatBytes(s.bytes),
        status: live ? 'recording' : s.status,
        dropped: s.droppedSeconds > 0 ? formatSeconds(s.droppedSeconds) : '',
        live,
        mixdown: mixdownView(d, storage, s),
      });
    }
  }
  sessions.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  return { sessions };
}

/** The session a URL names, when it is not being recorded (409 otherwise), or an error already sent. */
async function findIdle(d: AdminDeps, req: Request, res: Response, t: Translator): ReturnType<typeof find> {
  const found = await find(d, req, res);
  if (found?.live) {
    res.status(409).type('text').send(t('recBusyRecording'));
    return null;
  }
  return found;
}

/** The session a URL names, or an error already sent. */
async function find(d: AdminDeps, req: Request, res: Response): Promise<{ s: SessionSummary; storage: StorageKey; live: boolean } | null> {
  const storage = String(req.params.storage) as StorageKey;
  const name = String(req.params.session);
  const details = await recorderDetails(d);
  const base = storages(d, details).get(storage);
  if (!base || !SESSION_NAME.test(name)) {
    res.status(404).type('text').send('no such session');
    return null;
  }
  const dir = join(base, name);
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
  } catch {
    res.status(404).type('text').send('no such session');
    return null;
  }
  return { s: readSession(dir, name), storage, live: details?.session?.path === dir };
}

export function recordingSessionRoutes(d: AdminDeps) {
  const list = async (req: Request, res: Response): Promise<void> => {
    const t = res.locals.t as Translator;
    render(req, res, '_recordings-sessions.njk', sessionsContext(d, await recorderDetails(d), t));
  };

  return {
    list,

    async zip(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      const found = await findIdle(d, req, res, t);
      if (!found) return;
      const { s } = found;
      const entries: ZipEntry[] = readdirSync(s.dir)
        .filter((f) => !f.startsWith('.') && !f.endsWith('.part'))
        .sort()
        .flatMap((f) => {
          const st = statSync(join(s.dir, f));
          return st.isFile() ? [{ name: `${s.name}/${f}`, path: join(s.dir, f), size: st.size, mtime: st.mtime }] : [];
        });
      res.set('Content-Type', 'application/zip');
      res.set('Content-Disposition', `attachment; filename="${s.name}.zip"`);
      res.set('Content-Length', String(zipLength(entries)));
      try {
        await streamZip(res, entries);
        res.end();
      } catch (e) {
        // Headers are gone: all that is left is to cut the download short, which the browser reports as failed.
        console.error(`riffbox admin: zip of ${s.name}: ${(e as Error).message}`);
        res.destroy();
      }
    },

    async mixdown(req: Request, res: Response): Promise<void> {
      const found = await find(d, req, res);
      if (!found) return;
      const { s, storage } = found;
      if (req.method === 'POST' && !found.live && !s.mixdown) d.mixdowns.request(s.dir, s.name);
      render(req, res, '_recordings-mixdown.njk', { mix: { ...mixdownView(d, storage, readSession(s.dir, s.name)), blocked: found.live } });
    },

    async mixdownFile(req: Request, res: Response): Promise<void> {
      const found = await find(d, req, res);
      if (!found) return;
      if (!found.s.mixdown) {
        res.status(404).type('text').send('no mixdown yet');
        return;
      }
      res.set('Cache-Control', 'no-store');
      res.sendFile(join(found.s.dir, MIXDOWN_FILE), { headers: { 'Content-Type': 'audio/wav' } });
    },

    async remove(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      const found = await findIdle(d, req, res, t);
      if (!found) return;
      if (d.mixdowns.busy(found.s.dir)) {
        res.status(409).type('text').send(t('recBusyMixdown'));
        return;
      }
      rmSync(found.s.dir, { recursive: true, force: true });
      d.mixdowns.forget(found.s.dir);
      if (req.get('HX-Request') === 'true') return list(req, res);
      res.redirect(303, '/recordings');
    },
  };
}
