// Worker-thread entry of the client engine: a dedicated loop that owns the thread, the UDP socket and the
// device's capture signal.
//
// Each turn: block natively until the device has captured a period (or, without a device, until the next
// period deadline or datagram), drain the socket in one recvmmsg, handle the periods, timers and deadlines
// that are due, send everything in one sendmmsg, then answer the main thread's requests, polled with
// receiveMessageOnPort. This replaced a thread-safe function waking the event loop for every captured
// period plus node:dgram's per-datagram callbacks and a 25 ms interval, which together cost several times
// the audio work (test/bench/client-bench.ts). The thread returns to its event loop only while a DNS
// lookup is pending (engine.needsEventLoop), one turn at a time.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { ClientEngine } from './engine.js';
import type { ClientEngineOptions } from './client-options.js';
import type { EngineRequest, WorkerToHost } from './engine-protocol.js';
import { NativeUdpSocket } from '../net/udp-socket.js';
import { MAX_DATAGRAM_BYTES } from '../protocol/index.js';

const port = parentPort;
if (!port) throw new Error('engine-worker.ts must run in a worker thread');
const post = (m: WorkerToHost): void => port.postMessage(m);

/** Returned by handle() when the answer is posted later (a disconnect waits for its goodbye to go out). */
const LATER = Symbol('later');

let socket: NativeUdpSocket;
let engine: ClientEngine;
try {
  // Slots as long as the longest datagram a Jamulus peer sends (an unsplit client list); one server
  // means few datagrams per turn, so small batches and a short send queue suffice.
  const open = (address: string): NativeUdpSocket =>
    new NativeUdpSocket({
      port: 0,
      address,
      recvBufferBytes: 1 << 18,
      sendBufferBytes: 1 << 18,
      maxBatch: 8,
      slotBytes: MAX_DATAGRAM_BYTES,
      sendQueueLength: 16,
    });
  try {
    // Dual-stack, so the server may be IPv4 or IPv6.
    socket = open('::');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EAFNOSUPPORT' && code !== 'EADDRNOTAVAIL') throw e;
    socket = open('0.0.0.0');
  }
  engine = new ClientEngine(workerData as ClientEngineOptions, (e) => post({ type: 'event', payload: e }), socket);
  engine.start();
  socket.flush();
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  post({ type: 'failed', code: err.code ?? 'ERROR', message: err.message });
  process.exit(0);
}
post({ type: 'ready', port: socket.port });

function handle(req: EngineRequest): unknown {
  switch (req.method) {
    case 'getStats':
      return engine.getStats();
    case 'getClients':
      return engine.getClients();
    case 'getProfile':
      return engine.getProfile();
    case 'isConnected':
      return engine.isConnected();
    case 'setProfile':
      return engine.setProfile(req.args[0]);
    case 'setMix':
      return engine.setMix(req.args[0]);
    case 'setMuted':
      return engine.setMuted(req.args[0]);
    case 'sendChat':
      return engine.sendChat(req.args[0]);
    case 'connect':
      return engine.connect(req.args[0]);
    case 'disconnect':
      engine.disconnect(() => post({ type: 'result', id: req.id, value: null }));
      return LATER;
    case 'configure':
      return engine.configure(req.args[0]);
  }
}

/** Answers queued requests; returns false once asked to stop. */
function serveRequests(): boolean {
  for (;;) {
    const got = receiveMessageOnPort(port!) as { message: EngineRequest | { method: 'stop'; id: number } } | undefined;
    if (!got) return true;
    const req = got.message;
    if (req.method === 'stop') {
      engine.stop();
      socket.close();
      post({ type: 'result', id: req.id, value: null });
      port!.close();
      return false;
    }
    try {
      const value = handle(req);
      if (value !== LATER) post({ type: 'result', id: req.id, value: value ?? null });
    } catch (e) {
      post({ type: 'result', id: req.id, error: (e as Error).message });
    }
  }
}

function run(): void {
  for (;;) {
    engine.wait();
    engine.runTurn();
    if (!serveRequests()) return;
    engine.flush();
    if (engine.needsEventLoop) {
      // A DNS answer arrives through the event loop: visit it, then carry on.
      setImmediate(run);
      return;
    }
  }
}

run();
