// `riffbox all`: the three services as child processes of one command, for running from a checkout.
// Like the image's systemd units, a service that fails is restarted after a pause; Ctrl-C stops all.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInit } from './init.js';
import { secretFileBeside } from './service-paths.js';

const SERVICES = ['server', 'client', 'admin'] as const;
const RESTART_MS = 2000;

export async function runAll(argv: readonly string[]): Promise<number> {
  const i = argv.indexOf('--db');
  const db = i >= 0 ? argv[i + 1] : undefined;
  if (!db || argv.length !== 2) {
    console.error('usage: riffbox all --db FILE   (runs server, client and admin with the settings in FILE)');
    return 2;
  }
  const initCode = runInit(['--db', db]);
  if (initCode !== 0) return initCode;
  const secret = secretFileBeside(db);
  const cli = fileURLToPath(new URL('./cli.js', import.meta.url));
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  // The admin page's log view reads the checkout root's var/log/riffbox (the root helper's stand-in for
  // the journal, `root/` beside the database unless RIFFBOX_ROOT says otherwise), so keep each service's
  // output there as well as on this terminal.
  const logDir = join(process.env.RIFFBOX_ROOT ?? join(dirname(resolve(db)), 'root'), 'var', 'log', 'riffbox');
  mkdirSync(logDir, { recursive: true });
  const logs = new Map<string, WriteStream>();
  const logOf = (name: string): WriteStream => {
    let w = logs.get(name);
    if (!w) {
      w = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
      logs.set(name, w);
    }
    return w;
  };

  const start = (name: (typeof SERVICES)[number]): void => {
    const child = spawn(process.execPath, [cli, name, '--db', db, '--jsonrpc-secret-file', secret], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.set(name, child);
    const prefix = (chunk: Buffer): string =>
      chunk.toString().split('\n').filter(Boolean).map((l) => `[${name}] ${l}\n`).join('');
    const stamped = (chunk: Buffer): string =>
      chunk.toString().split('\n').filter(Boolean).map((l) => `${new Date().toISOString()} ${l}\n`).join('');
    child.stdout!.on('data', (c: Buffer) => {
      process.stdout.write(prefix(c));
      logOf(name).write(stamped(c));
    });
    child.stderr!.on('data', (c: Buffer) => {
      process.stderr.write(prefix(c));
      logOf(name).write(stamped(c));
    });
    child.on('exit', (code, signal) => {
      children.delete(name);
      if (stopping) return;
      console.error(`[${name}] exited (${signal ?? code}); restarting in ${RESTART_MS / 1000} s`);
      setTimeout(() => !stopping && start(name), RESTART_MS);
    });
  };
  for (const s of SERVICES) start(s);

  return new Promise((resolve) => {
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      for (const c of children.values()) c.kill('SIGTERM');
      const check = setInterval(() => {
        if (children.size === 0) {
          clearInterval(check);
          for (const w of logs.values()) w.end();
          resolve(0);
        }
      }, 100);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
