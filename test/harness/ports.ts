// Free loopback ports and unique names, so tests of several engineers can run side by side.
// Ports come from the kernel (bind port 0); a port handed out here is remembered and never
// handed out twice by this process, which closes the window between "closed" and "used by the
// child" for ports we pick ourselves.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

const handedOut = new Set<number>();

function udpBind(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(null);
    });
    s.bind(port, '127.0.0.1', () => {
      const got = s.address().port;
      s.close(() => resolve(got));
    });
  });
}

function tcpBind(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(null));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const addr = srv.address();
      const got = typeof addr === 'object' && addr ? addr.port : null;
      srv.close(() => resolve(got));
    });
  });
}

/**
 * A UDP port that is free on 127.0.0.1 right now. With `neighbours` = n, ports port+1 … port+n are
 * checked free too (for a program that binds a range); Jamulus 3.9.1 binds exactly the port given
 * with -p, so the default is 0.
 */
export async function freeUdpPort(neighbours = 0): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await udpBind(0);
    if (port === null || handedOut.has(port) || port + neighbours > 65535) continue;
    let ok = true;
    for (let i = 1; i <= neighbours && ok; i++) ok = !handedOut.has(port + i) && (await udpBind(port + i)) !== null;
    if (!ok) continue;
    for (let i = 0; i <= neighbours; i++) handedOut.add(port + i);
    return port;
  }
  throw new Error('freeUdpPort: no free UDP port found in 50 attempts');
}

/** A TCP port that is free on 127.0.0.1 right now (and was not handed out before by this process). */
export async function freeTcpPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tcpBind(0);
    if (port === null || handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('freeTcpPort: no free TCP port found in 50 attempts');
}

let nameCounter = 0;

/**
 * A name no other test process uses: prefix + pid + counter + random, limited to [A-Za-z0-9_]
 * (safe for jackd server names, file names and JACK client names).
 */
export function uniqueName(prefix: string): string {
  const clean = prefix.replace(/[^A-Za-z0-9_]/g, '_');
  return `${clean}_${process.pid}_${++nameCounter}_${randomBytes(3).toString('hex')}`;
}

/** A random secret for JSON-RPC secret files (Jamulus requires at least 16 characters). */
export function randomSecret(bytes = 24): string {
  return randomBytes(bytes).toString('hex');
}

function udpPortBound(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      if (local?.endsWith(hex)) return true;
    }
  }
  return false;
}

/**
 * Resolves once some socket is bound to UDP `port` (read from /proc/net/udp, so nothing is sent to
 * the program). `isAlive` lets a dead starter fail fast instead of waiting out the timeout.
 */
export async function waitForUdpBound(port: number, timeoutMs = 10000, isAlive: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!udpPortBound(port)) {
    if (!isAlive()) throw new Error(`the process that should bind udp/${port} is gone`);
    if (Date.now() > deadline) throw new Error(`nothing bound udp/${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Datagrams the kernel dropped for every socket bound to UDP `port` (the `drops` column of /proc/net/udp{,6}):
 * a full receive buffer, mostly. Read before and after to see what a run cost a program.
 */
export function udpDrops(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let drops = 0;
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(hex)) drops += Number(cols[cols.length - 1]);
    }
  }
  return drops;
}
