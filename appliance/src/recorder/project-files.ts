// The REAPER project (.rpp) and Audacity list of files (.lof) Jamulus writes at the end of a session: one track
// per musician name, one item per file, placed at the tick the file started. Files are named without their
// folder, so the project still opens after the session is downloaded somewhere else.
import { randomUUID } from 'node:crypto';
import { SAMPLE_RATE } from './recorder-facts.js';

export interface TrackItem {
  /** Jamulus's track key: the folded name and hidden address (naming.ts trackName). */
  track: string;
  file: string;
  channels: number;
  /** Server frames from the session start. */
  startFrame: number;
  /** Server frames in the file. */
  frames: number;
}

/** Seconds as Jamulus prints them: fixed, 14 decimals. */
export function seconds(frames: number, frameSamples: number): string {
  return ((frames * frameSamples) / SAMPLE_RATE).toFixed(14);
}

/** Items grouped by track key, keys in code-unit order (Qt's QMap of QString), items in their order. */
function byTrack(items: readonly TrackItem[]): [string, TrackItem[]][] {
  const m = new Map<string, TrackItem[]>();
  for (const it of items) {
    let list = m.get(it.track);
    if (!list) m.set(it.track, (list = []));
    list.push(it);
  }
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const guid = (): string => `{${randomUUID()}}`;

export function reaperProject(items: readonly TrackItem[], frameSamples: number): string {
  const out: string[] = ['<REAPER_PROJECT 0.1 "5.0" 1551567848', '  RECORD_PATH "" ""', `  SAMPLERATE ${SAMPLE_RATE} 0 0`, '  TEMPO 120 4 4'];
  let iid = 0;
  for (const [track, list] of byTrack(items)) {
    const id = guid();
    out.push(`  <TRACK ${id}`, `    NAME ${track}`, `    TRACKID ${id}`);
    list.forEach((it, i) => {
      out.push(
        '    <ITEM ',
        '      FADEIN 0 0 0 0 0 0',
        '      FADEOUT 0 0 0 0 0 0',
        `      POSITION ${seconds(it.startFrame, frameSamples)}`,
        `      LENGTH ${seconds(it.frames, frameSamples)}`,
        `      IGUID ${guid()}`,
        `      IID ${iid++}`,
        `      NAME ${track} (${i + 1})`,
        `      GUID ${guid()}`,
        '      <SOURCE WAVE',
        `        FILE "${it.file}"`,
        '      >',
        '    >',
      );
    });
    out.push('  >');
  }
  out.push('>');
  return out.join('\n') + '\n';
}

export function audacityLof(items: readonly TrackItem[], frameSamples: number): string {
  let out = '';
  for (const [, list] of byTrack(items)) {
    for (const it of list) out += `file "${it.file}" offset ${seconds(it.startFrame, frameSamples)}\n`;
  }
  return out;
}
