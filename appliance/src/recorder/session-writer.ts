// One recording session on disk, as the writer thread builds it from the ring's records: the "Jam-…" folder, a
// WAV per musician connection (a new one when someone reconnects or switches mono/stereo, as Jamulus does), the
// .rpp and .lof at the end, and riffbox's notes (.riffbox-session.json) kept current so a session cut short can
// be listed and repaired.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { setModeIfSupported } from '../fs/set-mode.js';
import { join } from 'node:path';
import { RECORDING_DIR_MODE, RECORDING_FILE_MODE, SESSION_INFO_FILE } from './recorder-facts.js';
import { sessionDirName, trackFileName, trackName } from './naming.js';
import { audacityLof, reaperProject, type TrackItem } from './project-files.js';
import { TrackFile, type IoGuard } from './track-file.js';
import type { RingRecord } from './ring.js';
import type { BitDepth } from './wav.js';

/** Who is in a slot, as the engine last said. */
export interface SlotMeta {
  name: string;
  address: string;
  port: number;
}

/** How a session ended, as its notes and the status page say. */
export type EndReason =
  | 'stopped' | 'idle' | 'restart' | 'reserve' | 'max-length' | 'error' | 'shutdown' | 'directory' | 'engine-restart'
  /** Found unfinished at the next start (power cut, crash) and repaired. */
  | 'interrupted';

/** The notes file (SESSION_INFO_FILE). */
export interface SessionInfo {
  format: 1;
  frameSamples: number;
  bits: BitDepth;
  startedAt: string;
  endedAt: string | null;
  complete: boolean;
  endReason: EndReason | null;
  /** Ticks the ring dropped while this session recorded; their place holds silence. */
  droppedTicks: number;
  /** Musicians' names as they last were, per track key. */
  names: Record<string, string>;
  tracks: TrackItem[];
  repaired?: boolean;
}

interface OpenTrack {
  file: TrackFile;
  epoch: number;
  channels: 1 | 2;
  startFrame: number;
  meta: SlotMeta;
  /** The last tick that had this track's musician in it. */
  seen: number;
}

const UNKNOWN: SlotMeta = { name: '', address: '0.0.0.0', port: 0 };

export class RecordingSession {
  readonly dir: string;
  readonly name: string;
  private readonly open = new Map<number, OpenTrack>();
  private readonly closed: TrackItem[] = [];
  private readonly names: Record<string, string> = {};
  private readonly startedAt = new Date();
  private firstTick = -1;
  private lastTick = -1;
  private frameSamples = 128;
  private readonly zeros = new Int16Array(128 * 2 * 64);
  droppedTicks = 0;
  ended = false;
  private meta: (slot: number, epoch: number) => SlotMeta | undefined = () => undefined;

  constructor(
    baseDir: string,
    readonly number: number,
    private readonly bits: BitDepth,
    private readonly io: IoGuard,
  ) {
    this.name = sessionDirName(this.startedAt);
    this.dir = join(baseDir, this.name);
    io(() => {
      mkdirSync(this.dir, { mode: RECORDING_DIR_MODE });
      setModeIfSupported(this.dir, RECORDING_DIR_MODE);
    });
  }

  /** Server frames since the first record: the session's length so far. */
  get frames(): number {
    return this.firstTick < 0 ? 0 : this.lastTick - this.firstTick + 1;
  }

  get seconds(): number {
    return (this.frames * this.frameSamples) / 48000;
  }

  get bytes(): number {
    let b = 0;
    for (const t of this.open.values()) b += t.file.dataBytes;
    return b;
  }

  /** The musicians whose tracks are open now. */
  who(): { name: string; channels: number; file: string }[] {
    return [...this.open.values()].map((t) => ({ name: t.meta.name, channels: t.channels, file: t.file.file }));
  }

  onRecord(rec: RingRecord, meta: (slot: number, epoch: number) => SlotMeta | undefined): void {
    if (this.firstTick < 0) {
      this.firstTick = rec.tick;
      this.lastTick = rec.tick - 1;
      this.frameSamples = rec.frameSamples;
    }
    const gap = rec.tick - this.lastTick - 1;
    if (gap > 0) {
      this.droppedTicks += gap;
      for (const t of this.open.values()) t.file.writeSilence(gap * rec.frameSamples, this.zeros);
    }
    this.lastTick = rec.tick;
    const frame = rec.tick - this.firstTick;
    this.meta = meta;
    const entries = rec.entries;
    for (let i = 0; i < rec.count; i++) {
      const e = entries[i]!;
      let t = this.open.get(e.slot);
      if (t && (t.epoch !== e.epoch || t.channels !== e.channels)) {
        this.closeTrack(e.slot, t);
        t = undefined;
      }
      if (!t) {
        const m = meta(e.slot, e.epoch) ?? UNKNOWN;
        const key = trackName(m.name, m.address, m.port);
        const file = new TrackFile(this.dir, trackFileName(this.dir, key, frame, e.channels), e.channels, this.bits, this.io);
        t = { file, epoch: e.epoch, channels: e.channels, startFrame: frame, meta: m, seen: rec.tick };
        this.open.set(e.slot, t);
      }
      t.seen = rec.tick;
      t.file.write(e.data, e.offset, e.count);
    }
    for (const [slot, t] of this.open) if (t.seen !== rec.tick) this.closeTrack(slot, t);
    // The notes exist from the first tick on: a repair needs the frame size even if nothing else was saved.
    if (frame === 0) this.writeInfo(false, null);
  }

  /** Sizes into every header and the notes file, all synced; names as the musicians now call themselves. */
  fixup(): void {
    this.refreshNames();
    for (const t of this.open.values()) t.file.fixup();
    this.writeInfo(false, null);
  }

  /** The tracks keep the name their musician has at the end (Jamulus names a track by its latest name). */
  private refreshNames(): void {
    for (const [slot, t] of this.open) t.meta = this.meta(slot, t.epoch) ?? t.meta;
  }

  /** Closes every track and writes the project files; best effort, so one failing file does not lose the rest. */
  end(reason: EndReason): Error | null {
    if (this.ended) return null;
    this.ended = true;
    this.refreshNames();
    let failure: Error | null = null;
    for (const [slot, t] of [...this.open]) {
      try {
        this.closeTrack(slot, t);
      } catch (e) {
        failure ??= e as Error;
        this.open.delete(slot);
      }
    }
    try {
      this.writeProjectFiles();
      this.writeInfo(true, reason);
    } catch (e) {
      failure ??= e as Error;
    }
    return failure;
  }

  private closeTrack(slot: number, t: OpenTrack): void {
    t.meta = this.meta(slot, t.epoch) ?? t.meta;
    this.open.delete(slot);
    t.file.close();
    const key = trackName(t.meta.name, t.meta.address, t.meta.port);
    this.names[key] = t.meta.name;
    this.closed.push({ track: key, file: t.file.file, channels: t.channels, startFrame: t.startFrame, frames: t.file.sampleFrames / this.frameSamples });
  }

  private items(): TrackItem[] {
    const open = [...this.open.values()].map((t) => ({
      track: trackName(t.meta.name, t.meta.address, t.meta.port),
      file: t.file.file,
      channels: t.channels,
      startFrame: t.startFrame,
      frames: t.file.sampleFrames / this.frameSamples,
    }));
    return [...this.closed, ...open];
  }

  private writeProjectFiles(): void {
    const items = this.closed;
    if (items.length === 0) return;
    for (const [ext, text] of [['.rpp', reaperProject(items, this.frameSamples)], ['.lof', audacityLof(items, this.frameSamples)]] as const) {
      const path = join(this.dir, this.name + ext);
      // Like Jamulus: an existing project file is never overwritten.
      if (this.io(() => existsSync(path))) continue;
      this.io(() => writeFileSync(path, text, { mode: RECORDING_FILE_MODE, flag: 'wx' }));
    }
  }

  private writeInfo(complete: boolean, reason: EndReason | null): void {
    const names: Record<string, string> = { ...this.names };
    for (const t of this.open.values()) names[trackName(t.meta.name, t.meta.address, t.meta.port)] = t.meta.name;
    const info: SessionInfo = {
      format: 1,
      frameSamples: this.frameSamples,
      bits: this.bits,
      startedAt: this.startedAt.toISOString(),
      endedAt: complete ? new Date().toISOString() : null,
      complete,
      endReason: reason,
      droppedTicks: this.droppedTicks,
      names,
      tracks: this.items(),
    };
    const path = join(this.dir, SESSION_INFO_FILE);
    const tmp = `${path}.tmp`;
    this.io(() => {
      writeFileSync(tmp, JSON.stringify(info, null, 1) + '\n', { mode: RECORDING_FILE_MODE });
      renameSync(tmp, path);
    });
  }
}
