// The load generator as its own process: N synthetic clients against one server, so its CPU can be
// measured apart from the benchmark's bookkeeping and it never shares an event loop with it.
//
//   node dist/test/bench/load-generator.js --server 127.0.0.1:PORT --clients N --frames 64|128 --out FILE [--silent]
//
// Prints "streaming K of N" once every client gets server audio with sequence numbers on, or after 20 s
// with however many do (an overloaded server may never let the last ones in). Then the driver
// (server-bench.ts) brackets the measurement window with signals, so the window lines up with its own
// /proc samples of the server: SIGUSR1 starts recording arrival times, SIGUSR2 stops, writes the
// summary to FILE as JSON and prints "results FILE". SIGTERM disconnects every client and exits.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { SyntheticClientPool, intervalStats, type IntervalStats, type PoolStats } from './synthetic-client.js';

export interface LoadResult {
  clients: number;
  /** Clients receiving audio in their format at the end of the window. */
  streaming: number;
  frameSamples: 64 | 128;
  windowMs: number;
  /** Pooled over all clients. */
  intervals: IntervalStats;
  /** Audio packets received in the window, and what one packet per frame per client would give. */
  packets: number;
  expectedPackets: number;
  wrongSize: number;
  ringOverwritten: number;
  /** Protocol frames each client got in total (level lists, jitter-buffer sizes, lists). */
  protocolIn: number;
  retransmits: number;
  disconnectedByServer: number;
  generator: PoolStats;
}

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? process.argv[i + 1] : undefined;
  if (v === undefined) {
    console.error(`load-generator: missing ${name}`);
    process.exit(2);
  }
  return v;
}

async function main(): Promise<void> {
  const [host, portText] = arg('--server').split(':');
  const clients = Number(arg('--clients'));
  const frames = Number(arg('--frames'));
  const out = arg('--out');
  if (frames !== 64 && frames !== 128) throw new Error(`--frames must be 64 or 128, not ${frames}`);
  const periodMs = frames / 48;

  const pool = await SyntheticClientPool.open({
    serverAddress: host!,
    serverPort: Number(portText),
    frameSamples: frames,
    clients,
    staggerMs: 20,
    silent: process.argv.includes('--silent'),
  });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await pool.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());

  let windowStart = 0;
  process.on('SIGUSR1', () => {
    windowStart = performance.now();
    pool.startMeasuring();
  });
  process.on('SIGUSR2', () => {
    const windowMs = performance.now() - windowStart;
    pool.stopMeasuring();
    const arrivals = pool.clients.map((c) => c.arrivals());
    const result: LoadResult = {
      clients,
      streaming: pool.streamingClients(),
      frameSamples: frames,
      windowMs,
      intervals: intervalStats(arrivals.map((a) => a.intervals), 1.5 * periodMs),
      packets: arrivals.reduce((s, a) => s + a.packets, 0),
      expectedPackets: Math.round((clients * windowMs) / periodMs),
      wrongSize: pool.clients.reduce((s, c) => s + c.wrongSizeIn, 0),
      ringOverwritten: arrivals.reduce((s, a) => s + a.overwritten, 0),
      protocolIn: pool.clients.reduce((s, c) => s + c.protocolIn, 0),
      retransmits: pool.clients.reduce((s, c) => s + c.link.stats.retransmits, 0),
      disconnectedByServer: pool.clients.filter((c) => c.disconnectedByServer).length,
      generator: pool.stats,
    };
    writeFileSync(out, JSON.stringify(result));
    console.log(`results ${out}`);
  });

  const streaming = await pool.waitUntilStreaming(20000);
  if (streaming < clients) console.error(`load-generator: ${pool.describeWaiting()}`);
  if (streaming === 0) {
    await pool.close();
    process.exit(1);
  }
  console.log(`streaming ${streaming} of ${clients}`);
}

main().catch((e: unknown) => {
  console.error(`load-generator: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
