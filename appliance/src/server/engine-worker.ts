// Worker-thread entry of the server engine: a dedicated loop that owns the UDP socket.
//
// Each turn: sleep natively until the next tick deadline (with channels) or until a datagram arrives (without
// any), take every pending datagram in one recvmmsg, run the ticks that are due, send everything in one
// sendmmsg, then answer the main thread's requests (serveRequests, worker-bridge.ts). The thread never returns
// to its event loop while it runs, so nothing here may rely on timers or promises; requests are polled with
// receiveMessageOnPort. This replaced
// a timer thread waking an event loop through a thread-safe function plus Node's per-datagram dgram calls,
// which together cost the server about half again Debian's Jamulus's CPU (test/bench/README.md).
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { ServerEngine } from './engine.js';
import type { ServerEngineOptions } from './engine-options.js';
import { SERVER_ENGINE_METHODS, type WorkerToHost } from './engine-protocol.js';
import { serveRequests } from '../worker-bridge.js';
import { NativeUdpSocket, monotonicNowNs } from '../net/udp-socket.js';
import { native } from '../audio/native.js';

/** Below ALSA (70), level with Jamulus's audio threads as the harness runs them (60): this thread does the tick's work and its pacing. */
const ENGINE_PRIORITY = 60;
/** How long an idle server sleeps between looks at the main thread's requests. */
const IDLE_POLL_MS = 20;

const port = parentPort;
if (!port) throw new Error('engine-worker.ts must run in a worker thread');
const post = (m: WorkerToHost): void => port.postMessage(m);
const options = workerData as ServerEngineOptions;

const open = (address: string): NativeUdpSocket =>
  new NativeUdpSocket({ port: options.port, address, recvBufferBytes: 1 << 20, sendBufferBytes: 1 << 20 });
let socket: NativeUdpSocket;
try {
  try {
    socket = open(options.bindAddress);
  } catch (e) {
    // "::" on a kernel without IPv6 (ipv6.disable=1): serve IPv4 as before.
    const code = (e as NodeJS.ErrnoException).code;
    if (options.bindAddress !== '::' || (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL')) throw e;
    socket = open('0.0.0.0');
  }
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  post({ type: 'failed', code: err.code ?? 'ERROR', message: err.message });
  process.exit(0);
}

const engine = new ServerEngine(options, (e) => post({ type: 'event', payload: e }), socket);
engine.nowNs = monotonicNowNs;
engine.setPort(socket.port, native.setThreadRealtime(ENGINE_PRIORITY));
post({ type: 'ready', port: socket.port, family: socket.family });

const methods = new Set<string>(SERVER_ENGINE_METHODS);

/** Answers queued requests; returns false once asked to stop. */
function serve(): boolean {
  return serveRequests(port!, engine, methods, () => {
    engine.disconnectAll();
    socket.flush();
    socket.close();
  });
}

// One view per batch slot, made once: handing a datagram to the engine then allocates nothing.
const slotBytes = socket.slotBytes;
const slotViews: Uint8Array[] = [];
for (let i = 0; i < socket.maxBatch; i++) slotViews.push(socket.recvData.subarray(i * slotBytes, (i + 1) * slotBytes));

function receiveAll(): void {
  const views = slotViews;
  const lengths = socket.recvLengths;
  const addrs = socket.recvAddrs;
  const ports = socket.recvPorts;
  const slot = slotBytes;
  for (;;) {
    const n = socket.receive();
    if (n === 0) return;
    const nowMs = performance.now();
    for (let i = 0; i < n; i++) {
      // A truncated datagram (longer than a slot) is passed with its slot length: it then fails every size
      // check and is counted, as the reference counts an over-long datagram that fails its CRC.
      const len = lengths[i]! > slot ? slot : lengths[i]!;
      engine.onDatagram(views[i]!, len, addrs[i]!, ports[i]!, nowMs);
    }
    if (n < socket.maxBatch) return;
  }
}

for (;;) {
  if (engine.active) {
    socket.sleepUntil(engine.nextDeadlineNs, false);
  } else {
    socket.waitReadable(IDLE_POLL_MS);
  }
  // A bug reached by some input must cost that input, not every musician's session: count it and go on.
  try {
    receiveAll();
  } catch (e) {
    engine.countInternalError('receive', e as Error);
  }
  try {
    engine.runDueTicks(monotonicNowNs());
  } catch (e) {
    engine.countInternalError('tick', e as Error);
  }
  socket.flush();
  if (!serve()) break;
  socket.flush();
}
