// Figures for the addon's UDP socket next to node:dgram over loopback, and the lateness of its
// sleepUntil(). Prints, asserts nothing. `npx tsc -p tsconfig.json && node dist/test/bench/udp-bench.js`
// (about 15 s; --quick halves the counts). Loopback sends include the receiver's kernel work (it
// runs in the sender's context), equally for both sides.
//
// send:     ns per 100-byte datagram, wall and CPU (user+sys of this process), for dgram.send
//           (to the last callback), NativeUdpSocket.sendTo, queue + flush in batches of 10, and
//           slots written in place + flush(10); then queue() alone and an empty receive() (per call).
// receive:  the receiver's kernel buffer is filled first, then drained: dgram 'message' events
//           versus receive() (recvmmsg, 64 per call).
// sleep:    sleepUntil() to deadlines 1e9/375 ns apart, lateness p50/p99/max, wakeOnReadable true
//           on an idle socket, on this thread (SCHED_OTHER) and in a Worker under SCHED_FIFO 60
//           (when permitted).
import dgram from 'node:dgram';
import { Worker } from 'node:worker_threads';
import { NativeUdpSocket, monotonicNowNs } from '../../appliance/src/net/udp-socket.js';

const quick = process.argv.includes('--quick');
const LOOPBACK = 0x7f000001;
const PAYLOAD = new Uint8Array(100).fill(0x5a);
const SEND_COUNT = quick ? 5000 : 10000;
const RECV_COUNT = 2000; // what fits in an 8 MiB receive buffer (dgram cannot pass rmem_max)
const RECV_ROUNDS = quick ? 3 : 6;
const SLEEP_TICKS = quick ? 375 : 750;

interface Figure {
  wallNs: number;
  cpuNs: number;
}

function measure(count: number, run: () => void | Promise<void>): Promise<Figure> {
  return (async () => {
    const cpu0 = process.cpuUsage();
    const t0 = monotonicNowNs();
    await run();
    const wall = monotonicNowNs() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { wallNs: wall / count, cpuNs: ((cpu.user + cpu.system) * 1000) / count };
  })();
}

function row(label: string, f: Figure): string {
  return `${label.padEnd(34)} ${f.wallNs.toFixed(0).padStart(7)} ns wall  ${f.cpuNs.toFixed(0).padStart(7)} ns cpu`;
}

function drain(sink: NativeUdpSocket): number {
  let n = 0;
  for (let got = sink.receive(); got > 0; got = sink.receive()) n += got;
  return n;
}

async function bindDgram(recvBufferSize?: number): Promise<dgram.Socket> {
  const s = dgram.createSocket(recvBufferSize ? { type: 'udp4', recvBufferSize } : { type: 'udp4' });
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  return s;
}

async function sendFigures(): Promise<void> {
  const sink = new NativeUdpSocket({ port: 0, address: '127.0.0.1', recvBufferBytes: 64 << 20 });
  const tx = await bindDgram();
  const native = new NativeUdpSocket({ port: 0, address: '127.0.0.1', sendBufferBytes: 4 << 20 });
  try {
    // Warm the JIT and the sockets on both paths before measuring.
    for (let i = 0; i < 500; i++) native.sendTo(PAYLOAD, 0, PAYLOAD.length, LOOPBACK, sink.port);
    await new Promise<void>((r) => tx.send(PAYLOAD, sink.port, '127.0.0.1', () => r()));
    drain(sink);

    const viaDgram = await measure(SEND_COUNT, () => new Promise<void>((resolve) => {
      let done = 0;
      const onSent = (): void => {
        if (++done === SEND_COUNT) resolve();
      };
      for (let i = 0; i < SEND_COUNT; i++) tx.send(PAYLOAD, sink.port, '127.0.0.1', onSent);
    }));
    const gotDgram = drain(sink);

    const viaSendTo = await measure(SEND_COUNT, () => {
      for (let i = 0; i < SEND_COUNT; i++) native.sendTo(PAYLOAD, 0, PAYLOAD.length, LOOPBACK, sink.port);
    });
    const gotSendTo = drain(sink);

    const viaBatch = await measure(SEND_COUNT, () => {
      for (let i = 0; i < SEND_COUNT; i += 10) {
        for (let k = 0; k < 10; k++) native.queue(PAYLOAD, 0, PAYLOAD.length, LOOPBACK, sink.port);
        native.flush();
      }
    });
    const gotBatch = drain(sink);

    // The engine can encode straight into the send slots: no copy and no call per datagram.
    for (let k = 0; k < 10; k++) {
      native.sendData.set(PAYLOAD, k * native.slotBytes);
      native.sendLengths[k] = PAYLOAD.length;
      native.sendAddrs[k] = LOOPBACK;
      native.sendPorts[k] = sink.port;
    }
    const viaSlots = await measure(SEND_COUNT, () => {
      for (let i = 0; i < SEND_COUNT; i += 10) native.flush(10);
    });
    const gotSlots = drain(sink);

    // queue() alone: the argument checks and the copy, without the kernel.
    let queueNs = 0;
    for (let i = 0; i < SEND_COUNT; i += 10) {
      const t0 = monotonicNowNs();
      for (let k = 0; k < 10; k++) native.queue(PAYLOAD, 0, PAYLOAD.length, LOOPBACK, sink.port);
      queueNs += monotonicNowNs() - t0;
      native.flush();
    }
    drain(sink);
    // receive() with nothing pending: what the loop pays once per tick to learn it has drained.
    const emptyReceive = await measure(SEND_COUNT, () => {
      for (let i = 0; i < SEND_COUNT; i++) sink.receive();
    });

    console.log(`send (${SEND_COUNT} × 100 B per method)`);
    console.log(row('  dgram.send', viaDgram) + `   (sink got ${gotDgram})`);
    console.log(row('  NativeUdpSocket.sendTo', viaSendTo) + `   (sink got ${gotSendTo})`);
    console.log(row('  queue + flush, batches of 10', viaBatch) + `   (sink got ${gotBatch})`);
    console.log(row('  slots in place + flush(10)', viaSlots) + `   (sink got ${gotSlots})`);
    console.log(`  queue() alone                      ${(queueNs / SEND_COUNT).toFixed(0).padStart(7)} ns wall`);
    console.log(row('  receive() with nothing pending', emptyReceive));
    const st = native.stats();
    console.log(`  native sender: sent ${st.sent}, sendErrors ${st.sendErrors}, sendBufferFull ${st.sendBufferFull}`);
  } finally {
    sink.close();
    native.close();
    await new Promise<void>((r) => tx.close(() => r()));
  }
}

async function receiveFigures(): Promise<void> {
  const tx = new NativeUdpSocket({ port: 0, address: '127.0.0.1', sendQueueLength: 1000 });
  const rxDgram = await bindDgram(8 << 20);
  const rxNative = new NativeUdpSocket({ port: 0, address: '127.0.0.1', recvBufferBytes: 8 << 20 });
  const fill = (port: number): number => {
    let sent = 0;
    for (let i = 0; i < RECV_COUNT; i += 1000) {
      for (let k = 0; k < 1000; k++) tx.queue(PAYLOAD, 0, PAYLOAD.length, LOOPBACK, port);
      sent += tx.flush();
    }
    return sent;
  };
  try {
    let dgramTotal: Figure = { wallNs: 0, cpuNs: 0 };
    let nativeTotal: Figure = { wallNs: 0, cpuNs: 0 };
    let dgramGot = 0;
    let nativeGot = 0;
    let pending: { want: number; resolve: () => void } | null = null;
    let count = 0;
    rxDgram.on('message', () => {
      count++;
      if (pending && count >= pending.want) pending.resolve();
    });
    for (let round = 0; round <= RECV_ROUNDS; round++) {
      const want = fill(rxDgram.address().port);
      count = 0;
      const d = await measure(want, () => new Promise<void>((resolve) => {
        pending = { want, resolve };
        if (count >= want) resolve();
      }));
      pending = null;

      const sentN = fill(rxNative.port);
      let got = 0;
      const n = await measure(sentN, () => {
        while (got < sentN) {
          const k = rxNative.receive();
          if (k === 0 && !rxNative.waitReadable(100)) break;
          got += k;
        }
      });
      if (round === 0) continue; // warm-up
      dgramGot += count;
      nativeGot += got;
      dgramTotal = { wallNs: dgramTotal.wallNs + d.wallNs / RECV_ROUNDS, cpuNs: dgramTotal.cpuNs + d.cpuNs / RECV_ROUNDS };
      nativeTotal = { wallNs: nativeTotal.wallNs + n.wallNs / RECV_ROUNDS, cpuNs: nativeTotal.cpuNs + n.cpuNs / RECV_ROUNDS };
    }
    console.log(`receive (${RECV_ROUNDS} rounds × ${RECV_COUNT} × 100 B, buffer filled first)`);
    console.log(row("  dgram 'message'", dgramTotal) + `   (got ${dgramGot})`);
    console.log(row('  receive() (recvmmsg, 64/call)', nativeTotal) + `   (got ${nativeGot})`);
  } finally {
    tx.close();
    rxNative.close();
    await new Promise<void>((r) => rxDgram.close(() => r()));
  }
}

/** Source of a function run both here and in the Worker: lateness of sleepUntil, in µs. */
const sleepProbeSource = `
function sleepProbe(NativeUdpSocket, monotonicNowNs, ticks) {
  const s = new NativeUdpSocket({ port: 0, address: '127.0.0.1' });
  const period = 1e9 / 375;
  const late = new Float64Array(ticks);
  let deadline = monotonicNowNs() + period;
  for (let i = 0; i < ticks; i++, deadline += period) {
    s.sleepUntil(deadline, true);
    late[i] = (monotonicNowNs() - deadline) / 1e3;
  }
  s.close();
  late.sort();
  const at = (q) => late[Math.min(ticks - 1, Math.floor(q * ticks))];
  return { p50: at(0.5), p99: at(0.99), max: late[ticks - 1] };
}`;

interface Lateness {
  p50: number;
  p99: number;
  max: number;
  realtime?: boolean;
}

function latenessRow(label: string, l: Lateness): string {
  return `${label.padEnd(34)} p50 ${l.p50.toFixed(1).padStart(7)} µs  p99 ${l.p99.toFixed(1).padStart(7)} µs  max ${l.max.toFixed(1).padStart(8)} µs`;
}

async function sleepFigures(): Promise<void> {
  const probe = new Function(`${sleepProbeSource}; return sleepProbe;`)() as (
    ctor: typeof NativeUdpSocket,
    now: () => number,
    ticks: number,
  ) => Lateness;
  const here = probe(NativeUdpSocket, monotonicNowNs, SLEEP_TICKS);
  const mod = new URL('../../appliance/src/net/udp-socket.js', import.meta.url).href;
  const nativeMod = new URL('../../appliance/src/audio/native.js', import.meta.url).href;
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     ${sleepProbeSource}
     Promise.all([import(${JSON.stringify(mod)}), import(${JSON.stringify(nativeMod)})]).then(([udp, { native }]) => {
       const realtime = native.setThreadRealtime(60);
       parentPort.postMessage({ ...sleepProbe(udp.NativeUdpSocket, udp.monotonicNowNs, workerData), realtime });
     });`,
    { eval: true, workerData: SLEEP_TICKS },
  );
  try {
    const rt = await new Promise<Lateness>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    console.log(`sleepUntil lateness (${SLEEP_TICKS} deadlines 2.67 ms apart, idle socket, wakeOnReadable)`);
    console.log(latenessRow('  this thread, SCHED_OTHER', here));
    console.log(latenessRow(`  worker, ${rt.realtime ? 'SCHED_FIFO 60' : 'SCHED_FIFO refused'}`, rt));
  } finally {
    await worker.terminate();
  }
}

const load = (await import('node:os')).loadavg()[0]!.toFixed(2);
console.log(`udp-bench: node ${process.version}, load1 ${load}${quick ? ', --quick' : ''}`);
await sendFigures();
await receiveFigures();
await sleepFigures();
