// The sessions in a recordings folder as the admin lists them: when, how long, who, how big, and whether they are
// finished. riffbox's notes give names and length; a session Jamulus wrote is read from its files alone.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MIXDOWN_FILE, SAMPLE_RATE, SESSION_NAME } from './recorder-facts.js';
import { parseTrackFileName, sessionDate } from './naming.js';
import { readSessionInfo } from './repair.js';
import { readWavInfo } from './wav.js';

export interface SessionTrack {
  file: string;
  /** The track's key (folded name and hidden address). */
  track: string;
  name: string;
  channels: number;
  /** Sample frames from the session start. */
  startSample: number;
  sampleFrames: number;
}

export interface SessionSummary {
  name: string;
  dir: string;
  startedAt: Date;
  seconds: number;
  musicians: string[];
  bytes: number;
  /** complete; interrupted (repaired after a crash); unfinished (being recorded, or not yet repaired). */
  status: 'complete' | 'interrupted' | 'unfinished';
  endReason: string | null;
  droppedSeconds: number;
  tracks: SessionTrack[];
  mixdown: boolean;
}

/** Server frame size: the notes say it; for a Jamulus session, a .lof offset against its file's start frame does. */
function frameSamplesOf(dir: string, name: string, notes: number | undefined): number {
  if (notes) return notes;
  try {
    for (const line of readFileSync(join(dir, `${name}.lof`), 'utf8').split('\n')) {
      const m = /^file "([^"]+)" offset ([\d.]+)$/.exec(line);
      const parsed = m ? parseTrackFileName(m[1]!) : null;
      if (m && parsed && parsed.startFrame > 0) return Math.round((Number(m[2]) * SAMPLE_RATE) / parsed.startFrame);
    }
  } catch {
    // no .lof: Jamulus's default
  }
  return 128;
}

/** The name a track key stands for, when no notes kept the real one: its folded name without the padding. */
function nameFromKey(key: string): string {
  return key.split('-')[0]!.replace(/_+$/, '') || '(no name)';
}

export function readSession(dir: string, name: string): SessionSummary {
  const info = readSessionInfo(dir);
  const frameSamples = frameSamplesOf(dir, name, info?.frameSamples);
  const files = readdirSync(dir);
  let bytes = 0;
  const tracks: SessionTrack[] = [];
  for (const f of files) {
    const path = join(dir, f);
    const st = statSync(path);
    if (!st.isFile()) continue;
    bytes += st.size;
    const parsed = parseTrackFileName(f);
    if (!parsed) continue;
    const wav = readWavInfo(path);
    if (!wav) continue;
    const key = parsed.track;
    tracks.push({
      file: f,
      track: key,
      name: info?.names[key] ?? nameFromKey(key),
      channels: wav.channels,
      startSample: parsed.startFrame * frameSamples,
      sampleFrames: wav.frames,
    });
  }
  tracks.sort((a, b) => a.startSample - b.startSample || (a.file < b.file ? -1 : 1));
  const end = tracks.reduce((m, t) => Math.max(m, t.startSample + t.sampleFrames), 0);
  const complete = info ? info.complete : existsSync(join(dir, `${name}.rpp`));
  return {
    name,
    dir,
    startedAt: sessionDate(name) ?? statSync(dir).mtime,
    seconds: end / SAMPLE_RATE,
    musicians: [...new Set(tracks.map((t) => t.name))],
    bytes,
    status: !complete ? 'unfinished' : info?.repaired ? 'interrupted' : 'complete',
    endReason: info?.endReason ?? null,
    droppedSeconds: ((info?.droppedTicks ?? 0) * frameSamples) / SAMPLE_RATE,
    tracks,
    mixdown: files.includes(MIXDOWN_FILE),
  };
}

/** Every session under a recordings folder, newest first; a folder that cannot be read gives none. */
export function listSessions(base: string): SessionSummary[] {
  let names: string[];
  try {
    names = readdirSync(base).filter((n) => SESSION_NAME.test(n));
  } catch {
    return [];
  }
  const out: SessionSummary[] = [];
  for (const n of names) {
    try {
      if (statSync(join(base, n)).isDirectory()) out.push(readSession(join(base, n), n));
    } catch {
      // removed while listing
    }
  }
  return out.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
}
