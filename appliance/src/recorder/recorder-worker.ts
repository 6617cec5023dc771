// The recorder's writer thread: takes the tick's records out of the ring and writes the session's files. It may
// block on a slow or stalled disk as long as it likes: the tick never waits for it, the ring only fills and
// drops. It runs at SCHED_OTHER, nice 10, even in a server started under SCHED_FIFO. Everything it hears is
// read with receiveMessageOnPort on its own timer, so the order of control messages, track names and records is
// the order they were sent in.
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { readlinkSync, statfsSync } from 'node:fs';
import { native } from '../audio/native.js';
import { CTL, RingReader, type RingRecord } from './ring.js';
import { DRAIN_INTERVAL_MS, FIXUP_INTERVAL_MS, SPACE_CHECK_INTERVAL_MS } from './recorder-facts.js';
import { RecordingSession, type EndReason, type SlotMeta } from './session-writer.js';
import { WavLimitError, type IoGuard } from './track-file.js';
import { repairSessions } from './repair.js';
import type { TrackMeta } from './tap.js';
import type { FromWriter, SessionProgress, ToWriter, WriterConfig } from './writer-protocol.js';

const WRITER_NICE = 10;
/** Track names kept per slot: enough epochs to cover a ring's worth of reconnects. */
const EPOCHS_KEPT = 4;
const MB = 1024 * 1024;
const IDLE_INTERVAL_MS = 250;

const control = parentPort;
if (!control) throw new Error('recorder-worker.ts must run in a worker thread');
const post = (m: FromWriter): void => control.postMessage(m);
const reader = new RingReader((workerData as { ring: SharedArrayBuffer }).ring);

let config: WriterConfig | null = null;
let session: RecordingSession | null = null;
/** Records of sessions up to this number are not recorded (ended, or refused). */
let skipUpTo = 0;
let enginePorts: MessagePort[] = [];
const slots = new Map<number, { epoch: number; meta: SlotMeta }[]>();
let lastFixup = 0;
let lastSpaceCheck = 0;
let shuttingDown = false;

const io: IoGuard = (call) => {
  reader.setCounter(CTL.WRITER_BUSY_SINCE, Math.floor(Date.now() / 1000));
  reader.setCounter(CTL.WRITER_BUSY, 1);
  try {
    return call();
  } finally {
    reader.setCounter(CTL.WRITER_BUSY, 0);
  }
};

function threadId(): number {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return 0;
  }
}

function onMeta(m: TrackMeta): void {
  let list = slots.get(m.slot);
  if (!list) slots.set(m.slot, (list = []));
  let entry = list.find((e) => e.epoch === m.epoch);
  if (!entry) {
    entry = { epoch: m.epoch, meta: { name: '', address: '0.0.0.0', port: 0 } };
    list.push(entry);
    if (list.length > EPOCHS_KEPT) list.shift();
  }
  entry.meta = {
    name: m.name ?? entry.meta.name,
    address: m.address ?? entry.meta.address,
    port: m.port ?? entry.meta.port,
  };
}

function metaOf(slot: number, epoch: number): SlotMeta | undefined {
  return slots.get(slot)?.find((e) => e.epoch === epoch)?.meta;
}

function pullMeta(): void {
  for (const p of enginePorts) {
    for (;;) {
      const got = receiveMessageOnPort(p) as { message: TrackMeta } | undefined;
      if (!got) break;
      onMeta(got.message);
    }
  }
}

function progress(s: RecordingSession | null): SessionProgress | null {
  return s && { path: s.dir, name: s.name, number: s.number, seconds: s.seconds, bytes: s.bytes, droppedTicks: s.droppedTicks, who: s.who() };
}

function endSession(reason: EndReason): void {
  const s = session;
  if (!s) return;
  session = null;
  skipUpTo = Math.max(skipUpTo, s.number);
  const err = s.end(reason);
  post({ type: 'sessionEnded', path: s.dir, number: s.number, reason, seconds: s.seconds, error: err ? err.message : null });
  post({ type: 'progress', session: null });
}

/** The writer stops recording by itself; the controller then disables recording, as Jamulus does on a failure. */
function stop(reason: 'reserve' | 'max-length' | 'error', message: string, number: number): void {
  skipUpTo = Math.max(skipUpTo, number);
  endSession(reason);
  post({ type: 'stopped', reason, message });
}

function freeBytes(dir: string): number {
  const st = statfsSync(dir);
  return st.bavail * st.bsize;
}

function reserveMessage(dir: string, free: number, reserve: number): string {
  return `free space on ${dir} is down to ${Math.round(free / MB)} MB, below the ${Math.round(reserve / MB)} MB reserve`;
}

function process1(rec: RingRecord): void {
  if (rec.session <= skipUpTo) return;
  if (session && rec.session !== session.number) endSession('restart');
  if (!session) {
    const c = config;
    if (!c || c.dir === null) {
      skipUpTo = rec.session;
      return;
    }
    try {
      const free = io(() => freeBytes(c.dir!));
      if (free < c.reserveBytes) return stop('reserve', `not started: ${reserveMessage(c.dir, free, c.reserveBytes)}`, rec.session);
      session = new RecordingSession(c.dir, rec.session, c.bits, io);
    } catch (e) {
      return stop('error', `could not start a session in ${c.dir}: ${(e as Error).message}`, rec.session);
    }
    lastFixup = lastSpaceCheck = Date.now();
    post({ type: 'sessionStarted', path: session.dir, number: session.number });
  }
  const s = session;
  try {
    s.onRecord(rec, metaOf);
  } catch (e) {
    if (e instanceof WavLimitError) return stop('max-length', e.message, s.number);
    return stop('error', `writing ${s.name} failed: ${(e as Error).message}`, s.number);
  }
  if (config && s.seconds >= config.maxSeconds) {
    stop('max-length', `the session reached the ${Math.round(config.maxSeconds / 60)}-minute limit`, s.number);
  }
}

function drain(): void {
  for (;;) {
    const rec = reader.peek();
    if (!rec) return;
    try {
      process1(rec);
    } finally {
      reader.release();
    }
  }
}

function housekeeping(now: number): void {
  const s = session;
  const c = config;
  if (!s || !c || c.dir === null) return;
  if (now - lastFixup >= FIXUP_INTERVAL_MS) {
    lastFixup = now;
    try {
      s.fixup();
    } catch (e) {
      return stop('error', `writing ${s.name} failed: ${(e as Error).message}`, s.number);
    }
    post({ type: 'progress', session: progress(s) });
  }
  if (now - lastSpaceCheck >= SPACE_CHECK_INTERVAL_MS) {
    lastSpaceCheck = now;
    try {
      const free = io(() => freeBytes(c.dir!));
      if (free < c.reserveBytes) stop('reserve', reserveMessage(c.dir, free, c.reserveBytes), s.number);
    } catch (e) {
      stop('error', `cannot read free space of ${c.dir}: ${(e as Error).message}`, s.number);
    }
  }
}

function onControl(m: ToWriter): void {
  switch (m.type) {
    case 'configure':
      config = m.config;
      return;
    case 'attach':
      // The old engine has stopped: take what it still said, then listen to the new one only.
      pullMeta();
      enginePorts = [m.port];
      return;
    case 'finish':
      pullMeta();
      drain();
      if (session && (m.upTo === null || session.number <= m.upTo)) endSession(m.reason);
      if (m.upTo !== null) skipUpTo = Math.max(skipUpTo, m.upTo);
      if (m.id !== undefined) post({ type: 'finished', id: m.id });
      return;
    case 'repair': {
      const r = io(() => repairSessions(m.dir, session?.dir ?? null));
      post({ type: 'repaired', dir: m.dir, sessions: r.sessions, errors: r.errors });
      return;
    }
    case 'shutdown':
      pullMeta();
      drain();
      endSession('shutdown');
      shuttingDown = true;
      return;
  }
}

function turn(): void {
  for (;;) {
    const got = receiveMessageOnPort(control!) as { message: ToWriter } | undefined;
    if (!got) break;
    onControl(got.message);
    if (shuttingDown) break;
  }
  if (shuttingDown) {
    clearTimeout(timer);
    post({ type: 'closed' });
    return;
  }
  pullMeta();
  drain();
  housekeeping(Date.now());
}

native.setThreadBackground(WRITER_NICE);
const tid = threadId();
reader.setCounter(CTL.WRITER_TID, tid);
function loop(): void {
  try {
    turn();
  } catch (e) {
    // A bug here must not end the server; the session it hit stops with the reason.
    if (session) stop('error', `recorder error: ${(e as Error).message}`, session.number);
    else console.error(`riffbox recorder: ${(e as Error).stack ?? String(e)}`);
  }
  if (shuttingDown) return;
  // Idle, the writer looks in less often: the ring holds seconds, and an idle server should cost nothing.
  timer = setTimeout(loop, session || reader.waiting() > 0 ? DRAIN_INTERVAL_MS : IDLE_INTERVAL_MS);
}
let timer = setTimeout(loop, DRAIN_INTERVAL_MS);
post({ type: 'ready', tid });
