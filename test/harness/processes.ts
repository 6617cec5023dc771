// Child processes for tests: every process is started in its own process group, its output goes
// to files (so a chatty child can never block on a full pipe while the test awaits something
// else), and stopAll() ends it by PID — SIGTERM, a grace period, then SIGKILL to the whole group.
// A process-wide registry kills whatever is left if the test process exits or is interrupted.
import { spawn as spawnChild, execFile } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readSync, fstatSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SpawnOptions {
  /** Added to (and overriding) the test process's environment. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Stopped only after every other process of the group is gone (jackd: its clients hang if it goes first). */
  stopLast?: boolean;
  /** Grace period between SIGTERM and SIGKILL. */
  stopTimeoutMs?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunResult extends ExitStatus {
  stdout: string;
  stderr: string;
}

const DEFAULT_STOP_TIMEOUT_MS = 4000;
const POLL_MS = 50;

/** Live process-group ids of every ProcessGroup in this process, for the emergency handlers. */
const liveGroups = new Set<number>();
let handlersInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the whole group is already gone.
  }
}

function installEmergencyHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // 'exit' handlers must be synchronous, so there is no grace period here: SIGKILL at once.
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

function readFileTail(path: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - maxBytes);
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `promise`'s value, or 'timeout' after `ms`; the timer is cleared so it never holds the event loop open. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

/** Incremental line reader over a growing log file. */
class LineReader {
  private fd: number | null = null;
  private offset = 0;
  private partial = '';
  constructor(private readonly path: string) {}

  /**
   * Lines appended since the last call. The unterminated last line is included but kept, so a
   * prompt without a newline still matches and is seen again, completed, on the next call.
   */
  newLines(): string[] {
    if (this.fd === null) {
      try {
        this.fd = openSync(this.path, 'r');
      } catch {
        return [];
      }
    }
    const size = fstatSync(this.fd).size;
    if (size > this.offset) {
      const buf = Buffer.alloc(size - this.offset);
      readSync(this.fd, buf, 0, buf.length, this.offset);
      this.offset = size;
      this.partial += buf.toString('utf8');
    }
    const lines = this.partial.split('\n');
    this.partial = lines[lines.length - 1] ?? '';
    return lines;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

export class ManagedProcess {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly pid: number;
  readonly stdoutPath: string;
  readonly stderrPath: string;
  readonly stopLast: boolean;
  readonly stopTimeoutMs: number;
  /** Resolves (never rejects) when the process has exited. */
  readonly exited: Promise<ExitStatus>;
  private status: ExitStatus | null = null;

  constructor(name: string, cmd: string, args: readonly string[], dir: string, opts: SpawnOptions) {
    this.name = name;
    this.command = cmd;
    this.args = args;
    this.stopLast = opts.stopLast ?? false;
    this.stopTimeoutMs = opts.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.stdoutPath = join(dir, `${name}.stdout.log`);
    this.stderrPath = join(dir, `${name}.stderr.log`);
    const out = openSync(this.stdoutPath, 'a');
    const err = openSync(this.stderrPath, 'a');
    const child = spawnChild(cmd, [...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', out, err],
      detached: true,
    });
    closeSync(out);
    closeSync(err);
    let spawnError: Error | null = null;
    this.exited = new Promise<ExitStatus>((resolve) => {
      child.once('error', (e) => {
        spawnError = e;
        this.status = { code: null, signal: null };
        resolve(this.status);
      });
      child.once('exit', (code, signal) => {
        this.status = { code, signal };
        resolve(this.status);
      });
    });
    if (child.pid === undefined) {
      // ENOENT and friends arrive asynchronously; the pid is the synchronous sign of failure.
      throw new Error(`cannot start ${name}: ${cmd} ${args.join(' ')} (${spawnError ?? 'no pid'})`);
    }
    this.pid = child.pid;
    liveGroups.add(this.pid);
    // Not unref'd: the pending 'exit' event is what keeps the test alive while stop() waits for it.
  }

  get running(): boolean {
    return this.status === null;
  }

  get exitStatus(): ExitStatus | null {
    return this.status;
  }

  /** The last `lines` lines of stdout and stderr, labelled, for assertion messages. */
  tail(lines = 20): string {
    const pick = (p: string): string => readFileTail(p, 16384).split('\n').slice(-lines - 1).join('\n').trimEnd();
    const state = this.status ? `exited code=${this.status.code} signal=${this.status.signal}` : 'running';
    return `--- ${this.name} (pid ${this.pid}, ${state}): ${this.command} ${this.args.join(' ')}\n` +
      `[stdout]\n${pick(this.stdoutPath)}\n[stderr]\n${pick(this.stderrPath)}`;
  }

  /** Everything written so far to stdout and stderr. */
  output(): { stdout: string; stderr: string } {
    return { stdout: readFileTail(this.stdoutPath, 1 << 30), stderr: readFileTail(this.stderrPath, 1 << 30) };
  }

  /**
   * Resolves with the match of the first line (stdout or stderr, from the beginning of the output)
   * that matches `regex`. Rejects when the process exits first or on timeout, with the output tail.
   */
  async waitForLine(regex: RegExp, timeoutMs: number, stream: 'stdout' | 'stderr' | 'both' = 'both'): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    const paths = stream === 'both' ? [this.stdoutPath, this.stderrPath] : [stream === 'stdout' ? this.stdoutPath : this.stderrPath];
    // Read only what was appended since the last poll: jackd can log thousands of lines.
    const readers = paths.map((p) => new LineReader(p));
    try {
      for (;;) {
        const exitedBefore = !this.running;
        for (const r of readers) {
          for (const line of r.newLines()) {
            const m = line.match(regex);
            if (m) return m;
          }
        }
        if (exitedBefore) throw new Error(`${this.name} exited before printing ${regex}\n${this.tail()}`);
        if (Date.now() > deadline) throw new Error(`${this.name}: no line matching ${regex} within ${timeoutMs} ms\n${this.tail()}`);
        await sleep(POLL_MS);
      }
    } finally {
      for (const r of readers) r.close();
    }
  }

  /** SIGTERM to the process group, SIGKILL after the grace period; also clears orphans left in the group. */
  async stop(): Promise<ExitStatus> {
    if (this.running) {
      killGroup(this.pid, 'SIGTERM');
      if ((await withTimeout(this.exited, this.stopTimeoutMs)) === 'timeout') killGroup(this.pid, 'SIGKILL');
    }
    const status = await this.exited;
    killGroup(this.pid, 'SIGKILL');
    liveGroups.delete(this.pid);
    return status;
  }
}

export class ProcessGroup {
  readonly label: string;
  /** Per-group temporary directory: logs, ini files, secrets, recordings. Removed by stopAll() unless RIFFBOX_KEEP_LOGS=1. */
  readonly dir: string;
  private readonly procs: ManagedProcess[] = [];
  private readonly cleanups: Array<() => void | Promise<void>> = [];
  private counter = 0;
  private stopped = false;

  constructor(label: string) {
    installEmergencyHandlers();
    this.label = label;
    this.dir = mkdtempSync(join(tmpdir(), `riffbox-${label.replace(/[^\w.-]/g, '_')}-${process.pid}-`));
  }

  /** All processes ever spawned in this group, in start order. */
  get processes(): readonly ManagedProcess[] {
    return this.procs;
  }

  spawn(name: string, cmd: string, args: readonly string[] = [], opts: SpawnOptions = {}): ManagedProcess {
    if (this.stopped) throw new Error(`ProcessGroup ${this.label} already stopped`);
    const unique = `${name.replace(/[^\w.-]/g, '_')}-${++this.counter}`;
    const p = new ManagedProcess(unique, cmd, args, this.dir, opts);
    this.procs.push(p);
    return p;
  }

  /**
   * Runs a short command to completion (killed by PID if it outlives timeoutMs) and returns its
   * output. Rejects on a non-zero exit unless `allowFailure`.
   */
  async run(name: string, cmd: string, args: readonly string[] = [], opts: SpawnOptions & { timeoutMs?: number; allowFailure?: boolean } = {}): Promise<RunResult> {
    const p = this.spawn(name, cmd, args, opts);
    const timeoutMs = opts.timeoutMs ?? 10000;
    const raced = await withTimeout(p.exited, timeoutMs);
    if (raced === 'timeout') {
      await p.stop();
      throw new Error(`${p.name} did not finish within ${timeoutMs} ms\n${p.tail()}`);
    }
    await p.stop(); // clears orphans and the registry entry
    const { stdout, stderr } = p.output();
    if (raced.code !== 0 && !opts.allowFailure) {
      throw new Error(`${p.name} failed (code=${raced.code} signal=${raced.signal})\n${p.tail()}`);
    }
    return { ...raced, stdout, stderr };
  }

  /** Registers work to do at the end of stopAll(), after every process is gone (newest first). */
  onCleanup(fn: () => void | Promise<void>): void {
    this.cleanups.push(fn);
  }

  /** Tails of every process, for assertion messages. */
  describe(lines = 15): string {
    return this.procs.map((p) => p.tail(lines)).join('\n');
  }

  /** A path inside the group's directory. */
  path(file: string): string {
    return join(this.dir, file);
  }

  async stopAll(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const first = this.procs.filter((p) => !p.stopLast);
    const last = this.procs.filter((p) => p.stopLast);
    await Promise.all(first.map((p) => p.stop()));
    await Promise.all(last.map((p) => p.stop()));
    const errors: unknown[] = [];
    for (const fn of this.cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    }
    if (process.env.RIFFBOX_KEEP_LOGS !== '1') rmSync(this.dir, { recursive: true, force: true });
    if (errors.length) throw new AggregateError(errors, `ProcessGroup ${this.label}: cleanup failed`);
  }
}

/** execFile as a promise, for quick commands whose lifetime is bounded by `timeoutMs`. */
export function execQuick(cmd: string, args: readonly string[], env: Record<string, string | undefined> = {}, timeoutMs = 5000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`), { stdout, stderr }));
      else resolve({ stdout, stderr });
    });
  });
}
