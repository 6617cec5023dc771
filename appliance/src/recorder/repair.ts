// Sessions a power cut or a crash left unfinished: the WAV headers get the sizes of what is really in the
// files, the last partial sample frame goes, and the .rpp/.lof Jamulus would have written at the end are
// written from the tracks found. Runs in the writer thread when the recorder starts on a folder.
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RECORDING_FILE_MODE, SESSION_INFO_FILE, SESSION_NAME } from './recorder-facts.js';
import { parseTrackFileName } from './naming.js';
import { audacityLof, reaperProject, type TrackItem } from './project-files.js';
import { repairWav } from './wav.js';
import type { SessionInfo } from './session-writer.js';

export function readSessionInfo(dir: string): SessionInfo | null {
  try {
    const v = JSON.parse(readFileSync(join(dir, SESSION_INFO_FILE), 'utf8')) as SessionInfo;
    return v && v.format === 1 ? v : null;
  } catch {
    return null;
  }
}

/** A session is unfinished when its notes say so, or (a Jamulus session) when it has tracks and no project. */
export function needsRepair(dir: string, name: string): boolean {
  const info = readSessionInfo(dir);
  if (info) return !info.complete;
  const hasTracks = readdirSync(dir).some((f) => parseTrackFileName(f) !== null);
  return hasTracks && !existsSync(join(dir, `${name}.rpp`));
}

/** Repairs one session folder; returns the track items it found. */
export function repairSession(dir: string, name: string): TrackItem[] {
  const info = readSessionInfo(dir);
  const frameSamples = info?.frameSamples ?? 128;
  const items: TrackItem[] = [];
  let lastWrite = 0;
  for (const file of readdirSync(dir).sort()) {
    const parsed = parseTrackFileName(file);
    if (!parsed) continue;
    const path = join(dir, file);
    const fixed = repairWav(path);
    if (!fixed) continue;
    lastWrite = Math.max(lastWrite, statSync(path).mtimeMs);
    items.push({ track: parsed.track, file, channels: parsed.channels, startFrame: parsed.startFrame, frames: Math.floor(fixed.frames / frameSamples) });
  }
  // Tracks in the order they started, as the recorder would have closed them at the end.
  items.sort((a, b) => a.startFrame - b.startFrame || (a.file < b.file ? -1 : 1));
  for (const [ext, text] of [['.rpp', reaperProject(items, frameSamples)], ['.lof', audacityLof(items, frameSamples)]] as const) {
    const path = join(dir, name + ext);
    if (items.length > 0 && !existsSync(path)) writeFileSync(path, text, { mode: RECORDING_FILE_MODE });
  }
  const repaired: SessionInfo = {
    format: 1,
    frameSamples,
    bits: info?.bits ?? 16,
    startedAt: info?.startedAt ?? new Date(statSync(dir).birthtimeMs || statSync(dir).mtimeMs).toISOString(),
    endedAt: lastWrite > 0 ? new Date(lastWrite).toISOString() : info?.endedAt ?? null,
    complete: true,
    endReason: 'interrupted',
    droppedTicks: info?.droppedTicks ?? 0,
    names: info?.names ?? {},
    tracks: items,
    repaired: true,
  };
  const infoPath = join(dir, SESSION_INFO_FILE);
  writeFileSync(`${infoPath}.tmp`, JSON.stringify(repaired, null, 1) + '\n', { mode: RECORDING_FILE_MODE });
  renameSync(`${infoPath}.tmp`, infoPath);
  return items;
}

/** Every unfinished session under a recordings folder, except `skip` (one being recorded). */
export function repairSessions(base: string, skip: string | null = null): { sessions: string[]; errors: string[] } {
  const sessions: string[] = [];
  const errors: string[] = [];
  let names: string[];
  try {
    names = readdirSync(base).filter((n) => SESSION_NAME.test(n)).sort();
  } catch {
    return { sessions, errors };
  }
  for (const name of names) {
    const dir = join(base, name);
    if (dir === skip) continue;
    try {
      if (!statSync(dir).isDirectory() || !needsRepair(dir, name)) continue;
      repairSession(dir, name);
      sessions.push(name);
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
    }
  }
  return { sessions, errors };
}
