// The recorder as the server's main thread sees it: Jamulus's recorder controller (initialised / enabled /
// error message / directory, with the same rules), the writer thread, and the ring and track ports it hands to
// each engine. Every change goes to the engine first (RECORDER_STATE to clients, the tick stops or starts
// feeding the ring), then to the writer, which finishes the session the engine ended.
import { EventEmitter } from 'node:events';
import { accessSync, constants, mkdirSync, statSync, statfsSync } from 'node:fs';
import { setModeIfSupported } from '../fs/set-mode.js';
import { resolve } from 'node:path';
import { MessageChannel, Worker, type Transferable } from 'node:worker_threads';
import { CTL, RingCounters, createRingBuffer } from './ring.js';
import { RECORDING_DIR_MODE, RecorderState, SAMPLE_RATE, type RecorderStateValue } from './recorder-facts.js';
import type { RecorderLink } from './tap.js';
import type { EndReason } from './session-writer.js';
import type { BitDepth } from './wav.js';
import type { FromWriter, SessionProgress, ToWriter } from './writer-protocol.js';

/** How long a change of folder waits for the old session's files to be closed. */
const FINISH_WAIT_MS = 10_000;

export interface RecorderLimits {
  bits: BitDepth;
  reserveBytes: number;
  maxSeconds: number;
}

/** What the recorder needs of the running engine (ServerEngineHost). */
export interface RecorderEngine {
  setRecorder(o: { state: RecorderStateValue; recording: boolean; newSession: boolean }): Promise<number>;
}

/** jamulusserver/getRecorderStatus, exactly as Jamulus 3.12 answers it. */
export interface RecorderStatus {
  initialised: boolean;
  errorMessage: string;
  enabled: boolean;
  recordingDirectory: string;
}

export interface StopNote {
  reason: 'reserve' | 'max-length' | 'error';
  message: string;
  at: string;
}

export interface EndedNote {
  path: string;
  reason: EndReason;
  seconds: number;
  error: string | null;
  at: string;
}

/** Jamulus's check of a recording folder: made if missing, a folder, writable. '' when fine. */
export function checkRecordingDir(dir: string): string {
  const abs = resolve(dir);
  try {
    if (!statSync(abs, { throwIfNoEntry: false })) {
      mkdirSync(abs, { recursive: true, mode: RECORDING_DIR_MODE });
      setModeIfSupported(abs, RECORDING_DIR_MODE);
    }
  } catch {
    return `'${abs}' does not exist but could not be created.`;
  }
  if (!statSync(abs).isDirectory()) return `'${abs}' exists but is not a directory`;
  try {
    accessSync(abs, constants.W_OK);
  } catch {
    return `'${abs}' is a directory but cannot be written to`;
  }
  return '';
}

export class Recorder extends EventEmitter<{ log: [string] }> {
  readonly ring: SharedArrayBuffer;
  private readonly counters: RingCounters;
  private worker: Worker | null;
  private readonly ready: Promise<void>;
  private engine: RecorderEngine | null = null;
  private dir = '';
  private initialised = false;
  private enabled = false;
  private errorMessage = '';
  /** Jamulus's bDisableRecording: --norecord, and every stopRecording since. */
  private disabled: boolean;
  private limits: RecorderLimits;
  private session: SessionProgress | null = null;
  private lastEnded: EndedNote | null = null;
  private lastStop: StopNote | null = null;
  private repaired: string[] = [];
  private writerTid = 0;
  /** Server frame size, for turning dropped ticks into seconds. */
  frameSamples = 128;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly finishing = new Map<number, () => void>();
  private nextFinishId = 1;
  private closed: (() => void) | null = null;

  /** The writer thread starts at once: engines may be handed their links before start() is awaited. */
  constructor(private readonly initial: { dir: string; disabled: boolean; limits: RecorderLimits; ringBytes: number }) {
    super();
    this.ring = createRingBuffer(initial.ringBytes);
    this.counters = new RingCounters(this.ring);
    this.disabled = initial.disabled;
    this.limits = initial.limits;
    const worker = new Worker(new URL('./recorder-worker.js', import.meta.url), { workerData: { ring: this.ring } });
    this.worker = worker;
    this.ready = new Promise<void>((resolveReady, reject) => {
      worker.on('message', (m: FromWriter) => {
        if (m.type === 'ready') {
          this.writerTid = m.tid;
          resolveReady();
        } else this.onWriter(m);
      });
      worker.once('error', reject);
    });
    worker.on('error', (e) => this.emit('log', `recorder writer failed: ${e.stack ?? e.message}`));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      // The writer died (a bug): recording stops with the reason, the audio goes on as before.
      this.worker = null;
      this.emit('log', `recorder writer stopped (exit code ${code})`);
      void this.serial(async () => {
        this.errorMessage = `the recorder's writer stopped (exit code ${code}); restart the server to record again`;
        this.enabled = false;
        this.disabled = true;
        await this.push(false);
      });
    });
  }

  /** Waits for the writer thread and takes the folder (its error, if any, shows in the status). */
  async start(): Promise<void> {
    await this.ready;
    this.takeDirectory(this.initial.dir);
  }

  /** The ring and a fresh track port for an engine about to start (the previous engine has stopped). */
  engineLink(): { recorder: RecorderLink; recorderState: RecorderStateValue } {
    const ch = new MessageChannel();
    this.send({ type: 'attach', port: ch.port2 }, [ch.port2]);
    return { recorder: { ring: this.ring, port: ch.port1, recording: this.enabled }, recorderState: this.state };
  }

  /** The engine that now runs; it gets the current state (its link may predate the folder check). */
  bindEngine(engine: RecorderEngine | null): Promise<void> {
    this.engine = engine;
    if (!engine) return Promise.resolve();
    return this.serial(async () => {
      await this.push(false);
    });
  }

  /** The engine stopped (port change, shutdown): whatever it was recording ends. */
  engineStopped(): void {
    this.send({ type: 'finish', upTo: null, reason: 'engine-restart' });
  }

  /** The last musician left the session with this number. */
  sessionIdle(number: number): void {
    this.send({ type: 'finish', upTo: number, reason: 'idle' });
  }

  get state(): RecorderStateValue {
    if (!this.initialised) return RecorderState.NOT_INITIALISED;
    return this.enabled ? RecorderState.RECORDING : RecorderState.NOT_ENABLED;
  }

  status(): RecorderStatus {
    return { initialised: this.initialised, errorMessage: this.errorMessage, enabled: this.enabled, recordingDirectory: this.dir };
  }

  // ---- the Jamulus operations (serialised: each waits for the one before) ----

  /** jamulusserver/startRecording and stopRecording (SetEnableRecording). */
  setEnabled(on: boolean): Promise<void> {
    return this.serial(async () => {
      if (this.initialised) {
        if (this.enabled !== on) this.emit('log', `recording ${on ? 'enabled' : 'disabled'}`);
        this.enabled = on;
      }
      this.disabled = !on;
      const ended = await this.push(false);
      if (!this.enabled && ended >= 0) this.send({ type: 'finish', upTo: ended, reason: 'stopped' });
    });
  }

  /** jamulusserver/restartRecording: a new session folder from now on, if a session is being recorded. */
  restart(): Promise<void> {
    return this.serial(async () => {
      if (!this.initialised || !this.enabled) return;
      const ended = await this.push(true);
      if (ended >= 0) this.send({ type: 'finish', upTo: ended, reason: 'restart' });
    });
  }

  /**
   * jamulusserver/setRecordingDirectory ('' leaves the recorder not initialised). The session in the old folder
   * ends first, as Jamulus ends its recorder thread, and its files are closed before this resolves (so the old
   * folder's stick can be unmounted right after), unless the disk takes longer than FINISH_WAIT_MS.
   */
  setDirectory(dir: string): Promise<void> {
    return this.serial(async () => {
      if (this.enabled) {
        const ended = await this.engine?.setRecorder({ state: this.state, recording: false, newSession: false });
        await this.finishAndWait(ended !== undefined && ended >= 0 ? ended : null, 'directory');
      }
      this.takeDirectory(dir);
      await this.push(false);
    });
  }

  /** Bit depth, reserve and length limit: from the next session on (reserve and limit at once). */
  setLimits(limits: RecorderLimits): void {
    this.limits = limits;
    this.configureWriter();
  }

  /** riffbox's view for the admin page: the status plus what is being recorded, losses and limits. */
  details(): Record<string, unknown> {
    const c = this.counters;
    const dropped = c.counter(CTL.DROPPED_TICKS);
    const busy = c.counter(CTL.WRITER_BUSY) === 1;
    let freeBytes: number | null = null;
    if (this.initialised) {
      try {
        const st = statfsSync(resolve(this.dir));
        freeBytes = st.bavail * st.bsize;
      } catch {
        freeBytes = null;
      }
    }
    return {
      ...this.status(),
      state: this.state,
      directory: this.initialised ? resolve(this.dir) : '',
      session: this.enabled ? this.session : null,
      lastSession: this.lastEnded,
      lastStop: this.lastStop,
      droppedTicks: dropped,
      droppedSeconds: (dropped * this.frameSamples) / SAMPLE_RATE,
      ringBytes: this.initial.ringBytes,
      ringWaitingBytes: c.waiting(),
      ringHighWaterBytes: c.counter(CTL.HIGH_WATER),
      writerBusySeconds: busy ? Math.max(0, Math.floor(Date.now() / 1000) - c.counter(CTL.WRITER_BUSY_SINCE)) : 0,
      writerThreadId: this.writerTid,
      freeBytes,
      reserveBytes: this.limits.reserveBytes,
      maxSeconds: this.limits.maxSeconds,
      bits: this.limits.bits,
      repaired: this.repaired,
    };
  }

  /** Ends the session being written and stops the writer. */
  async close(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    const done = new Promise<void>((r) => (this.closed = r));
    this.send({ type: 'shutdown' });
    const timeout = new Promise<void>((r) => setTimeout(r, 10000).unref());
    await Promise.race([done, timeout]);
    this.worker = null;
    await w.terminate();
  }

  // ---- inside ----

  private finishAndWait(upTo: number | null, reason: EndReason): Promise<void> {
    const id = this.nextFinishId++;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.finishing.delete(id);
        resolve();
      }, FINISH_WAIT_MS);
      this.finishing.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      this.send({ type: 'finish', upTo, reason, id });
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Jamulus's SetRecordingDir after the old recorder ended: check, take, configure the writer. */
  private takeDirectory(dir: string): void {
    if (dir !== '') {
      this.errorMessage = checkRecordingDir(dir);
      this.initialised = this.errorMessage === '';
      this.enabled = this.initialised && !this.disabled;
      this.dir = this.initialised ? dir : '';
    } else {
      this.errorMessage = '';
      this.initialised = false;
      this.enabled = false;
      this.dir = '';
    }
    this.emit('log', this.initialised ? `recording to ${resolve(this.dir)}, ${this.enabled ? 'enabled' : 'not enabled'}` : `recording not initialised${this.errorMessage ? `: ${this.errorMessage}` : ''}`);
    this.configureWriter();
    if (this.initialised) this.send({ type: 'repair', dir: resolve(this.dir) });
  }

  private configureWriter(): void {
    this.send({ type: 'configure', config: { dir: this.initialised ? resolve(this.dir) : null, ...this.limits } });
  }

  /** Tells the engine the state; returns the session that ended there, or −1. */
  private async push(newSession: boolean): Promise<number> {
    if (!this.engine) return -1;
    try {
      return await this.engine.setRecorder({ state: this.state, recording: this.enabled, newSession });
    } catch (e) {
      this.emit('log', `recorder: engine did not take the state: ${(e as Error).message}`);
      return -1;
    }
  }

  private send(m: ToWriter, transfer: readonly Transferable[] = []): void {
    this.worker?.postMessage(m, transfer);
  }

  private onWriter(m: FromWriter): void {
    switch (m.type) {
      case 'sessionStarted':
        this.emit('log', `recording session ${m.path}`);
        return;
      case 'progress':
        this.session = m.session;
        return;
      case 'sessionEnded':
        this.lastEnded = { path: m.path, reason: m.reason, seconds: m.seconds, error: m.error, at: new Date().toISOString() };
        this.emit('log', `session ${m.path} ended (${m.reason}, ${m.seconds.toFixed(1)} s)${m.error ? `: ${m.error}` : ''}`);
        return;
      case 'stopped':
        this.lastStop = { reason: m.reason, message: m.message, at: new Date().toISOString() };
        this.emit('log', `recording stopped: ${m.message}`);
        void this.serial(async () => {
          // Jamulus's OnRecordingFailed: the message stays, recording is disabled until enabled again.
          if (!this.enabled) return;
          this.errorMessage = m.message;
          this.enabled = false;
          this.disabled = true;
          await this.push(false);
        });
        return;
      case 'repaired':
        this.repaired = m.sessions;
        if (m.sessions.length) this.emit('log', `repaired unfinished sessions in ${m.dir}: ${m.sessions.join(', ')}`);
        for (const e of m.errors) this.emit('log', `could not repair ${e}`);
        return;
      case 'closed':
        this.closed?.();
        return;
      case 'finished':
        this.finishing.get(m.id)?.();
        this.finishing.delete(m.id);
        return;
      case 'ready':
        return;
    }
  }
}
