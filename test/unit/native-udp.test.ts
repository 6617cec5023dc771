// The addon's UDP socket over loopback: binding and its error codes, batch receive with lengths,
// addresses and bytes, truncation, queue + sendmmsg, send errors counted not thrown, the
// blocking waits, close(), use inside a Worker, and argument checks.
// Time bounds are loose sanity checks; precision figures belong to test/bench/udp-bench.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { NativeUdpSocket, ipv4ToUint, monotonicNowNs, uintToIpv4 } from '../../appliance/src/net/udp-socket.js';

const LOOPBACK = 0x7f000001;
const modulePath = new URL('../../appliance/src/net/udp-socket.js', import.meta.url).href;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `promise`'s value, or 'timeout' after `ms`; the timer is cleared so it never holds the process open. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function dgramSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 22 });
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  return s;
}

function closeDgram(s: dgram.Socket): Promise<void> {
  return new Promise((r) => s.close(() => r()));
}

function sendDgram(s: dgram.Socket, bytes: Uint8Array, port: number): Promise<void> {
  return new Promise((resolve, reject) => s.send(bytes, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
}

/** A datagram whose bytes say which one it is: index in the first 4 bytes, then a pattern. */
function patterned(index: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = (index * 7 + i * 13) & 255;
  if (length >= 4) new DataView(b.buffer).setUint32(0, index);
  return b;
}

/** Loopback port that nothing listens on (bound, read, released). */
async function closedPort(): Promise<number> {
  const s = await dgramSocket();
  const port = s.address().port;
  await closeDgram(s);
  return port;
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as NodeJS.ErrnoException).code;
  }
  return undefined;
}

test('ipv4ToUint and uintToIpv4 convert both ways and refuse malformed input', () => {
  assert.equal(ipv4ToUint('127.0.0.1'), 0x7f000001);
  assert.equal(ipv4ToUint('255.255.255.255'), 0xffffffff);
  assert.equal(ipv4ToUint('0.0.0.0'), 0);
  assert.equal(uintToIpv4(0x7f000001), '127.0.0.1');
  assert.equal(uintToIpv4(0xc0a80a01), '192.168.10.1');
  assert.equal(uintToIpv4(ipv4ToUint('10.20.30.40')), '10.20.30.40');
  for (const bad of ['1.2.3', '1.2.3.256', '1.2.3.4.5', 'a.b.c.d', '', '1.2.3.-4', '::1']) {
    assert.throws(() => ipv4ToUint(bad), TypeError, bad);
  }
  for (const bad of [-1, 2 ** 32, 1.5, Number.NaN]) assert.throws(() => uintToIpv4(bad), TypeError, String(bad));
});

test('binds to port 0, reports the OS choice, and refuses a taken port with EADDRINUSE', () => {
  const s = new NativeUdpSocket({ port: 0, address: '127.0.0.1' });
  try {
    assert.ok(s.port > 0 && s.port < 65536);
    assert.ok(s.fd >= 0);
    assert.equal(s.closed, false);
    assert.equal(s.maxBatch, 64);
    assert.equal(s.slotBytes, 2048);
    assert.equal(s.recvData.length, 64 * 2048);
    assert.equal(s.recvLengths.length, 64);
    assert.equal(s.recvAddrs.length, 64);
    assert.equal(s.recvPorts.length, 64);
    // Created once: the same objects on every read.
    assert.equal(s.recvData, s.recvData);
    assert.throws(
      () => new NativeUdpSocket({ port: s.port, address: '127.0.0.1' }),
      (e: NodeJS.ErrnoException & { address?: string; port?: number }) => {
        assert.equal(e.code, 'EADDRINUSE');
        assert.equal(e.syscall, 'bind');
        assert.equal(e.port, s.port);
        assert.match(e.message, new RegExp(`bind 127\\.0\\.0\\.1:${s.port}: EADDRINUSE \\(Address already in use\\)`));
        return true;
      },
    );
    // 0.0.0.0 overlaps 127.0.0.1 on the same port.
    assert.equal(errorCode(() => new NativeUdpSocket({ port: s.port })), 'EADDRINUSE');
  } finally {
    s.close();
  }
  // TEST-NET-1 is never a local address.
  assert.equal(errorCode(() => new NativeUdpSocket({ port: 0, address: '192.0.2.1' })), 'EADDRNOTAVAIL');
});

test('a privileged port as an unprivileged user fails with EACCES', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root to start a child as nobody');
    return;
  }
  const script = `import(${JSON.stringify(modulePath)}).then(({ NativeUdpSocket }) => {
      try { new NativeUdpSocket({ port: 1000, address: '127.0.0.1' }); console.log('bound'); }
      catch (e) { console.log(e.code); }
    });`;
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { uid: 65534, gid: 65534, timeout: 10000, killSignal: 'SIGKILL' }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim()),
    );
  });
  assert.equal(out, 'EACCES');
});

test('options are applied: buffer sizes, DSCP, batch and slot sizes', () => {
  const s = new NativeUdpSocket({ port: 0, address: '127.0.0.1', recvBufferBytes: 1 << 20, sendBufferBytes: 1 << 19, maxBatch: 8, slotBytes: 100, sendQueueLength: 4 });
  try {
    // The kernel doubles the request; without CAP_NET_ADMIN it is capped at net.core.*mem_max.
    if (process.getuid?.() === 0) {
      assert.equal(s.recvBufferBytes, 2 << 20);
      assert.equal(s.sendBufferBytes, 2 << 19);
    }
    assert.equal(typeof s.dscp, 'boolean');
    assert.equal(s.recvData.length, 800);
    assert.equal(s.recvLengths.length, 8);
    assert.equal(s.sendQueueLength, 4);
  } finally {
    s.close();
  }
});

test('receives 1000 datagrams from a dgram socket in batches with lengths, address, port and bytes', async () => {
  const rx = new NativeUdpSocket({ port: 0, address: '127.0.0.1' });
  const tx = await dgramSocket();
  try {
    const total = 1000;
    const lengthOf = (i: number): number => (i === 500 ? 0 : 4 + ((i * 37) % 1400));
    const seen: number[] = [];
    let batches = 0;
    let maxBatchSeen = 0;
    // Chunks of 50 fit the kernel's default receive buffer (≈208 KiB) with room to spare.
    const chunkSize = 50;
    for (let first = 0; first < total; first += chunkSize) {
      const sends: Promise<void>[] = [];
      for (let i = first; i < first + chunkSize; i++) sends.push(sendDgram(tx, patterned(i, lengthOf(i)), rx.port));
      await Promise.all(sends);
      const deadline = Date.now() + 5000;
      while (seen.length < first + chunkSize && Date.now() < deadline) {
        const n = rx.receive();
        if (n === 0) {
          rx.waitReadable(100);
          continue;
        }
        batches++;
        maxBatchSeen = Math.max(maxBatchSeen, n);
        for (let k = 0; k < n; k++) {
          const len = rx.recvLengths[k]!;
          assert.equal(rx.recvAddrs[k], LOOPBACK);
          assert.equal(rx.recvPorts[k], tx.address().port);
          const bytes = rx.recvData.subarray(k * rx.slotBytes, k * rx.slotBytes + len);
          const index = len === 0 ? 500 : new DataView(bytes.buffer, bytes.byteOffset, len).getUint32(0);
          assert.equal(len, lengthOf(index), `length of datagram ${index}`);
          assert.deepEqual(bytes, patterned(index, len), `bytes of datagram ${index}`);
          seen.push(index);
        }
      }
    }
    assert.equal(seen.length, total);
    assert.deepEqual(seen, Array.from({ length: total }, (_, i) => i), 'loopback keeps the order');
    assert.ok(maxBatchSeen <= 64 && batches >= total / 64, `${batches} batches, largest ${maxBatchSeen}`);
    assert.ok(maxBatchSeen > 1, 'datagrams already queued come in one batch');
    const st = rx.stats();
    assert.equal(st.received, total);
    assert.equal(st.truncated, 0);
    assert.equal(st.receiveErrors, 0);
    assert.equal(rx.receive(), 0, 'nothing left');
  } finally {
    rx.close();
    await closeDgram(tx);
  }
});

test('a datagram longer than a slot is truncated and reported with its real length', async () => {
  const rx = new NativeUdpSocket({ port: 0, address: '127.0.0.1' });
  const tx = await dgramSocket();
  try {
    const big = patterned(7, 5000);
    await sendDgram(tx, big, rx.port);
    await sendDgram(tx, patterned(8, 20), rx.port);
    assert.ok(rx.waitReadable(2000));
    assert.equal(rx.receive(), 2);
    assert.equal(rx.recvLengths[0], 5000);
    assert.deepEqual(rx.recvData.subarray(0, 2048), big.subarray(0, 2048));
    assert.equal(rx.recvLengths[1], 20);
    assert.deepEqual(rx.recvData.subarray(2048, 2068), patterned(8, 20));
    assert.equal(rx.stats().truncated, 1);
  } finally {
    rx.close();
    await closeDgram(tx);
  }
});

test('queue + flush sends 100 datagrams that arrive intact and in order', async () => {
  const tx = new NativeUdpSocket({ port: 0, address: '127.0.0.1', sendQueueLength: 128 });
  const rx = await dgramSocket();
  try {
    const got: { bytes: Buffer; port: number; address: string }[] = [];
    const all = new Promise<void>((resolve) =>
      rx.on('message', (msg, rinfo) => {
        got.push({ bytes: msg, port: rinfo.port, address: rinfo.address });
        if (got.length === 100) resolve();
      }),
    );
    // One caller buffer reused for every datagram: queue() must copy.
    const scratch = new Uint8Array(1500);
    for (let i = 0; i < 100; i++) {
      const len = 4 + ((i * 53) % 1200);
      scratch.set(patterned(i, len), 10);
      assert.equal(tx.queue(scratch, 10, len, LOOPBACK, rx.address().port), true);
    }
    assert.equal(tx.queued, 100);
    assert.equal(tx.flush(), 100);
    assert.equal(tx.queued, 0);
    await within(all, 5000);
    assert.equal(got.length, 100);
    for (let i = 0; i < 100; i++) {
      const len = 4 + ((i * 53) % 1200);
      assert.deepEqual(new Uint8Array(got[i]!.bytes), patterned(i, len), `datagram ${i}`);
      assert.equal(got[i]!.port, tx.port);
      assert.equal(got[i]!.address, '127.0.0.1');
    }
    assert.equal(tx.stats().sent, 100);
    assert.equal(tx.flush(), 0, 'an empty queue sends nothing');
  } finally {
    tx.close();
    await closeDgram(rx);
  }
});

test('a full send queue refuses and counts; a refused datagram in a batch does not stop the rest', async () => {
  const tx = new NativeUdpSocket({ port: 0, address: '127.0.0.1', sendQueueLength: 4, slotBytes: 64 });
  const rx = await dgramSocket();
  try {
    const got: number[] = [];
    rx.on('message', (msg) => got.push(msg[0]!));
    const port = rx.address().port;
    for (let i = 0; i < 4; i++) assert.equal(tx.queue(Uint8Array.of(i), 0, 1, LOOPBACK, port), true);
    assert.equal(tx.queue(Uint8Array.of(9), 0, 1, LOOPBACK, port), false);
    assert.equal(tx.stats().queueFull, 1);
    assert.equal(tx.flush(), 4);
    // A datagram longer than a slot cannot be queued (sendTo can send it).
    assert.equal(tx.queue(new Uint8Array(65), 0, 65, LOOPBACK, port), false);
    let st = tx.stats();
    assert.equal(st.sendErrors, 1);
    assert.equal(st.lastErrorCode, 'EMSGSIZE');
    assert.equal(tx.queued, 0);
    assert.equal(tx.queue(new Uint8Array(64).fill(5), 0, 64, LOOPBACK, port), true);
    assert.equal(tx.flush(), 1);

    // Port 0 is refused by the kernel (EINVAL) for that datagram only.
    tx.queue(Uint8Array.of(10), 0, 1, LOOPBACK, port);
    tx.queue(Uint8Array.of(11), 0, 1, LOOPBACK, 0);
    tx.queue(Uint8Array.of(12), 0, 1, LOOPBACK, port);
    assert.equal(tx.flush(), 2);
    st = tx.stats();
    assert.equal(st.sendErrors, 2);
    assert.equal(st.lastErrorCode, 'EINVAL');
    assert.match(st.lastError ?? '', /^sendmmsg: EINVAL/);
    const deadline = Date.now() + 2000;
    while (got.length < 7 && Date.now() < deadline) await sleep(10);
    assert.deepEqual(got, [0, 1, 2, 3, 5, 10, 12]);
  } finally {
    tx.close();
    await closeDgram(rx);
  }
});

test('slots written directly and sent with flush(count) arrive; a slot with a bad length is skipped', async () => {
  const tx = new NativeUdpSocket({ port: 0, address: '127.0.0.1', sendQueueLength: 8, slotBytes: 256 });
  const rx = await dgramSocket();
  try {
    assert.equal(tx.sendData.length, 8 * 256);
    assert.equal(tx.sendLengths.length, 8);
    const got: Buffer[] = [];
    rx.on('message', (msg) => got.push(msg));
    const port = rx.address().port;
    // One queue()d datagram in slot 0, then slots 1..3 written in place.
    assert.equal(tx.queue(patterned(0, 40), 0, 40, LOOPBACK, port), true);
    for (let k = 1; k <= 3; k++) {
      tx.sendData.set(patterned(k, 100 + k), k * tx.slotBytes);
      tx.sendLengths[k] = 100 + k;
      tx.sendAddrs[k] = LOOPBACK;
      tx.sendPorts[k] = port;
    }
    tx.sendLengths[2] = 257; // longer than a slot: must not be sent
    assert.equal(tx.flush(4), 3);
    assert.equal(tx.queued, 0);
    const st = tx.stats();
    assert.equal(st.sent, 3);
    assert.equal(st.sendErrors, 1);
    assert.equal(st.lastError, 'flush: EMSGSIZE (Message too long)');
    const deadline = Date.now() + 2000;
    while (got.length < 3 && Date.now() < deadline) await sleep(10);
    assert.deepEqual(got.map((b) => new Uint8Array(b)), [patterned(0, 40), patterned(1, 101), patterned(3, 103)]);
    assert.equal(tx.flush(0), 0);
  } finally {
    tx.close();
    await closeDgram(rx);
  }
});

test('sendTo never throws for network errors: closed port, broadcast without permission; the next call works', async () => {
  const s = new NativeUdpSocket({ port: 0, address: '127.0.0.1' });
  const rx = await dgramSocket();
  try {
    const port = await closedPort();
    const payload = patterned(1, 30);
    // An unconnected socket ignores the ICMP port-unreachable (no IP_RECVERR), so the kernel
    // accepts the datagram and no ECONNREFUSED surfaces on this or a later call.
    assert.equal(s.sendTo(payload, 0, 30, LOOPBACK, port), true);
    await sleep(20);
    assert.equal(s.sendTo(payload, 0, 30, LOOPBACK, port), true);
    assert.equal(s.receive(), 0);
    assert.equal(s.stats().receiveErrors, 0);

    // 255.255.255.255 without SO_BROADCAST: EACCES, counted.
    assert.equal(s.sendTo(payload, 0, 30, 0xffffffff, port), false);
    let st = s.stats();
    assert.equal(st.sendErrors, 1);
    assert.equal(st.lastErrorCode, 'EACCES');
    assert.match(st.lastError ?? '', /^sendto: EACCES \(Permission denied\)$/);

    const got = new Promise<Buffer>((resolve) => rx.once('message', resolve));
    assert.equal(s.sendTo(payload, 5, 10, LOOPBACK, rx.address().port), true);
    const msg = await within(got, 2000);
    assert.ok(msg !== 'timeout', 'datagram after the errors arrives');
    assert.deepEqual(new Uint8Array(msg), payload.subarray(5, 15));
    st = s.stats();
    assert.equal(st.sent, 3);
    assert.equal(st.sendErrors, 1);
  } finally {
    s.close();
    await closeDgram(rx);
  }
});

test('waitReadable times out, and returns true at once when a datagram is pending', async () => {
  const rx = new NativeUdpSocket({ port: 0, address: '127.0.0.1' });
  const tx = await dgramSocket();
  try {
    let t0 = monotonicNowNs();
    assert.equal(rx.waitReadable(30), false);
    const waited = (monotonicNowNs() - t0) / 1e6;
    assert.ok(waited >= 29.9 && waited < 500, `waited ${waited} ms`);
    assert.equal(rx.waitReadable(0), false);

    await sendDgram(tx, Uint8Array.of(1, 2, 3), rx.port);
    t0 = monotonicNowNs();
    assert.equal(rx.waitReadable(2000), true);
    assert.ok((monotonicNowNs() - t0) / 1e6 < 500);
    assert.equal(rx.receive(), 1);
    assert.equal(rx.waitReadable(0), false, 'drained');
  } finally {
    rx.close();
    await closeDgram(tx);
  }
});

test('sleepUntil wakes at the deadline, ignores datagrams unless asked, and returns false for a past deadline', async () => {
  const rx = new NativeUdpSocket({ port: 0, address: '127.0.0.1' });
  const tx = await dgramSocket();
  try {
    for (let i = 0; i < 5; i++) {
      const deadline = monotonicNowNs() + 10e6;
      assert.equal(rx.sleepUntil(deadline, true), false);
      const late = (monotonicNowNs() - deadline) / 1e6;
      assert.ok(late >= 0 && late < 200, `woke ${late} ms after the deadline`);
    }
    await sendDgram(tx, Uint8Array.of(1), rx.port);
    // A pending datagram does not cut the sleep short when wakeOnReadable is false.
    let deadline = monotonicNowNs() + 20e6;
    assert.equal(rx.sleepUntil(deadline, false), false);
    assert.ok(monotonicNowNs() >= deadline);
    // …and does at once when it is true.
    deadline = monotonicNowNs() + 2000e6;
    assert.equal(rx.sleepUntil(deadline, true), true);
    assert.ok(deadline - monotonicNowNs() > 1000e6, 'returned early');
    assert.equal(rx.receive(), 1);

    const t0 = monotonicNowNs();
    assert.equal(rx.sleepUntil(t0 - 1e6, true), false);
    assert.equal(rx.sleepUntil(t0, false), false);
    assert.ok(monotonicNowNs() - t0 < 50e6);
  } finally {
    rx.close();
    await closeDgram(tx);
  }
});

test('sleepUntil wakes early when a datagram arrives during the sleep', async () => {
  const rx = new NativeUdpSocket({ port: 0, address: '127.0.0.1' });
  // The sender must run on another thread: this one is blocked in sleepUntil.
  const sender = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const dgram = require('node:dgram');
     const s = dgram.createSocket('udp4');
     parentPort.once('message', () => setTimeout(() => s.send(Buffer.from('wake'), workerData, '127.0.0.1', () => s.close()), 80));
     parentPort.postMessage('ready');`,
    { eval: true, workerData: rx.port },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      sender.once('message', () => resolve());
      sender.once('error', reject);
    });
    sender.postMessage('go');
    const t0 = monotonicNowNs();
    const woke = rx.sleepUntil(t0 + 3000e6, true);
    const sleptMs = (monotonicNowNs() - t0) / 1e6;
    assert.equal(woke, true);
    assert.ok(sleptMs >= 50 && sleptMs < 2000, `slept ${sleptMs} ms`);
    assert.equal(rx.receive(), 1);
    assert.equal(rx.recvLengths[0], 4);
  } finally {
    rx.close();
    await sender.terminate();
  }
});

test('close() is idempotent, frees the port, and later calls throw', () => {
  const s = new NativeUdpSocket({ port: 0, address: '127.0.0.1' });
  const port = s.port;
  const view = s.recvData;
  s.close();
  s.close();
  assert.equal(s.closed, true);
  assert.equal(s.fd, -1);
  assert.equal(s.port, port);
  // The views stay readable: their memory is not freed with the socket.
  assert.equal(view[0], 0);
  assert.throws(() => s.receive(), { name: 'Error', message: 'NativeUdpSocket.receive(): the socket is closed' });
  assert.throws(() => s.flush(), /closed/);
  assert.throws(() => s.queue(new Uint8Array(1), 0, 1, LOOPBACK, 9), /closed/);
  assert.throws(() => s.sendTo(new Uint8Array(1), 0, 1, LOOPBACK, 9), /closed/);
  assert.throws(() => s.waitReadable(0), /closed/);
  assert.throws(() => s.sleepUntil(0, false), /closed/);
  assert.equal(typeof s.stats().received, 'number');
  const again = new NativeUdpSocket({ port, address: '127.0.0.1' });
  again.close();
});

test('wrong argument types and ranges throw TypeError with a clear message', () => {
  const Ctor = NativeUdpSocket as unknown as new (...a: unknown[]) => unknown;
  assert.throws(() => new Ctor(), { name: 'TypeError', message: 'NativeUdpSocket: options must be an object' });
  assert.throws(() => new Ctor({ port: -1 }), { name: 'TypeError', message: 'NativeUdpSocket: options.port must be an integer in 0..65535' });
  assert.throws(() => new Ctor({ port: 0, address: 'localhost' }), { name: 'TypeError', message: /options.address must be an IPv4 or IPv6 address/ });
  assert.throws(() => new Ctor({ port: 0, maxBatch: 0 }), { name: 'TypeError', message: 'NativeUdpSocket: options.maxBatch must be an integer in 1..1024' });
  assert.throws(() => new Ctor({ port: 0, slotBytes: '2048' }), { name: 'TypeError', message: /options.slotBytes must be an integer/ });

  const s = new NativeUdpSocket({ port: 0, address: '127.0.0.1' });
  try {
    const any = s as unknown as Record<string, (...a: unknown[]) => unknown>;
    assert.throws(() => any.queue!(new Uint16Array(4), 0, 4, LOOPBACK, 9), {
      name: 'TypeError',
      message: 'NativeUdpSocket.queue: bytes must be a Uint8Array',
    });
    assert.throws(() => any.sendTo!([1, 2, 3], 0, 3, LOOPBACK, 9), {
      name: 'TypeError',
      message: 'NativeUdpSocket.sendTo: bytes must be a Uint8Array',
    });
    assert.throws(() => s.queue(new Uint8Array(4), 2, 3, LOOPBACK, 9), {
      name: 'TypeError',
      message: 'NativeUdpSocket.queue: offset and length must lie within bytes (length 4)',
    });
    assert.throws(() => s.queue(new Uint8Array(4), 0, 4, -1, 9), {
      name: 'TypeError',
      message: 'NativeUdpSocket.queue: addr must be an integer in 0..2^32-1 (IPv4 as a uint32)',
    });
    assert.throws(() => s.queue(new Uint8Array(4), 0, 4, LOOPBACK, 70000), { name: 'TypeError', message: 'NativeUdpSocket.queue: port must be an integer in 0..65535' });
    assert.throws(() => s.queue(new Uint8Array(4), 0.5, 1, LOOPBACK, 9), { name: 'TypeError', message: 'NativeUdpSocket.queue: offset must be an integer in 0..2^53' });
    assert.throws(() => any.queue!(new Uint8Array(4), 0, 4, LOOPBACK), { name: 'TypeError', message: 'NativeUdpSocket.queue: port must be a number' });
    assert.throws(() => any.flush!('2'), { name: 'TypeError', message: 'NativeUdpSocket.flush: count must be a number' });
    assert.throws(() => s.flush(s.sendQueueLength + 1), { name: 'TypeError', message: 'NativeUdpSocket.flush: count must be an integer in 0..sendQueueLength' });
    assert.throws(() => any.waitReadable!('10'), { name: 'TypeError', message: 'NativeUdpSocket.waitReadable: timeoutMs must be a number' });
    assert.throws(() => s.waitReadable(-1), { name: 'TypeError', message: 'NativeUdpSocket.waitReadable: timeoutMs must be in 0..3600000' });
    assert.throws(() => any.sleepUntil!(0, 1), { name: 'TypeError', message: 'NativeUdpSocket.sleepUntil: wakeOnReadable must be a boolean' });
    assert.throws(() => s.sleepUntil(Number.POSITIVE_INFINITY, false), { name: 'TypeError', message: /deadlineNs must be finite/ });
    assert.equal(s.queued, 0, 'nothing was queued by the refused calls');
    // A Buffer is a Uint8Array.
    assert.equal(s.queue(Buffer.from('ok'), 0, 2, LOOPBACK, s.port), true);
    assert.equal(s.flush(), 1);
  } finally {
    s.close();
  }
});

const echoWorker = (mod: string): string => `
  const { parentPort } = require('node:worker_threads');
  import(${JSON.stringify(mod)}).then(({ NativeUdpSocket, monotonicNowNs }) => {
    const s = new NativeUdpSocket({ port: 0, address: '127.0.0.1' });
    parentPort.postMessage({ port: s.port });
    let echoed = 0;
    const until = monotonicNowNs() + 5e9;
    // A dedicated loop: sleep in 2.67 ms steps, wake early for datagrams, echo in one flush.
    let deadline = monotonicNowNs();
    while (echoed < 10 && monotonicNowNs() < until) {
      deadline += 1e9 / 375;
      s.sleepUntil(deadline, true);
      const n = s.receive();
      for (let k = 0; k < n; k++) {
        s.queue(s.recvData, k * s.slotBytes, s.recvLengths[k], s.recvAddrs[k], s.recvPorts[k]);
      }
      echoed += s.flush();
    }
    s.close();
    parentPort.postMessage({ echoed });
  });`;

test('works inside a worker thread running its own loop', async () => {
  const worker = new Worker(echoWorker(modulePath), { eval: true });
  const exited = new Promise<number>((r) => worker.once('exit', r));
  const tx = await dgramSocket();
  try {
    const messages: { port?: number; echoed?: number }[] = [];
    let onMessage: () => void = () => {};
    worker.on('message', (m: { port?: number; echoed?: number }) => {
      messages.push(m);
      onMessage();
    });
    worker.once('error', (e) => assert.fail(e));
    await new Promise<void>((r) => (messages.length ? r() : (onMessage = r)));
    const port = messages[0]!.port!;
    const echoes: string[] = [];
    tx.on('message', (m) => echoes.push(m.toString()));
    for (let i = 0; i < 10; i++) {
      await sendDgram(tx, Buffer.from(`ping ${i}`), port);
      await sleep(5);
    }
    const code = await within(exited, 8000);
    assert.equal(code, 0, 'the worker ends its loop and exits');
    assert.equal(messages[1]?.echoed, 10);
    const deadline = Date.now() + 1000;
    while (echoes.length < 10 && Date.now() < deadline) await sleep(10);
    assert.deepEqual(echoes, Array.from({ length: 10 }, (_, i) => `ping ${i}`));
  } finally {
    await worker.terminate();
    await closeDgram(tx);
  }
});

test('terminating a worker that holds an open socket closes it', async () => {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     import(${JSON.stringify(modulePath)}).then(({ NativeUdpSocket }) => {
       globalThis.keep = new NativeUdpSocket({ port: 0, address: '127.0.0.1' });
       parentPort.postMessage(globalThis.keep.port);
       setInterval(() => {}, 1000);
     });`,
    { eval: true },
  );
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.equal(errorCode(() => new NativeUdpSocket({ port, address: '127.0.0.1' })), 'EADDRINUSE');
  } finally {
    await worker.terminate();
  }
  const again = new NativeUdpSocket({ port, address: '127.0.0.1' });
  again.close();
});

test('dual-stack on "::": IPv4 peers as their uint32, IPv6 peers as stable ids, answered on the same socket', async () => {
  const s = new NativeUdpSocket({ port: 0, address: '::' });
  const v4 = await dgramSocket();
  const v6 = dgram.createSocket('udp6');
  await new Promise<void>((r) => v6.bind(0, '::1', () => r()));
  try {
    assert.equal(s.family, 6);
    await sendDgram(v4, patterned(1, 20), s.port);
    await new Promise<void>((r, j) => v6.send(patterned(2, 30), s.port, '::1', (e) => (e ? j(e) : r())));
    const seen = new Map<number, { addr: number; port: number }>();
    const deadline = Date.now() + 2000;
    while (seen.size < 2 && Date.now() < deadline) {
      s.waitReadable(100);
      const n = s.receive();
      for (let k = 0; k < n; k++) seen.set(s.recvLengths[k]!, { addr: s.recvAddrs[k]!, port: s.recvPorts[k]! });
    }
    assert.deepEqual(seen.get(20), { addr: LOOPBACK, port: v4.address().port }, 'an IPv4 peer keeps its address');
    const id = seen.get(30)!.addr;
    assert.ok(id >= 1 && id <= 4096, `an IPv6 peer gets an id in 0.0.0.0/8: ${id}`);
    assert.equal(seen.get(30)!.port, v6.address().port);
    assert.equal(s.peerAddress(id), '::1');
    assert.equal(s.peerAddress(LOOPBACK), '127.0.0.1');
    assert.equal(s.peerId('::1'), id, 'the same address, the same id');
    assert.equal(s.peerId('127.0.0.1'), LOOPBACK);
    assert.equal(s.peerId('::ffff:127.0.0.1'), LOOPBACK, 'IPv4-mapped is IPv4');
    assert.equal(s.peerAddress(4000), null, 'an id never given');
    const got4 = new Promise<Buffer>((r) => v4.once('message', r));
    const got6 = new Promise<Buffer>((r) => v6.once('message', r));
    assert.ok(s.queue(patterned(3, 11), 0, 11, LOOPBACK, v4.address().port));
    assert.ok(s.queue(patterned(4, 12), 0, 12, id, v6.address().port));
    assert.ok(s.queue(patterned(5, 13), 0, 13, 4000, 9), 'queued; flush finds the id unknown');
    assert.equal(s.flush(), 2, 'the unknown id is skipped and counted');
    assert.equal((await within(got4, 2000) as Buffer).length, 11);
    assert.equal((await within(got6, 2000) as Buffer).length, 12);
    assert.ok(s.stats().sendErrors >= 1);
  } finally {
    s.close();
    await closeDgram(v4);
    await new Promise<void>((r) => v6.close(() => r()));
  }
});

test('an IPv4 socket refuses IPv6 peers with a clear error', () => {
  const s = new NativeUdpSocket({ port: 0, address: '127.0.0.1' });
  try {
    assert.equal(s.family, 4);
    assert.throws(() => s.peerId('::1'), { name: 'TypeError', message: /needs a socket bound to an IPv6 address/ });
    assert.throws(() => s.peerId('nonsense'), { name: 'TypeError' });
  } finally {
    s.close();
  }
});
