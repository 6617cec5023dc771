// The client's real-time half (the addon's ClientStream) against a plain UDP socket standing in for the
// server, with no sound card: the device is missing, so the period clock that stands in for it paces the
// path. Checks that a session sends audio packets of the negotiated size with sequence numbers, that the
// server's first audio marks that session connected and wakes JS, that a protocol frame is passed on with
// its sender and a kernel receive time, and that ending the session stops the sending.
// Counts are loose functional checks; timing figures belong to test/bench.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { ClientStream, clientFormat } from '../../appliance/src/client/client-stream.js';
import { ipv4ToUint, monotonicNowNs } from '../../appliance/src/net/udp-socket.js';
import { audioPacketBytes, encodeMessage, isProtocolFrame } from '../../appliance/src/protocol/index.js';
import type { ClientEngineOptions } from '../../appliance/src/client/client-options.js';

const OPTIONS: ClientEngineOptions = {
  server: '127.0.0.1',
  autoConnect: false,
  device: 'riffbox_no_such_pcm',
  frames: 128,
  quality: 'normal',
  channels: 'mono',
  monoInput: 1,
  jitterAuto: true,
  jitterSize: 6,
  muteMyself: false,
  hearOwnSignal: false,
  profile: { name: 'T', country: 0, instrument: 0, city: '', skill: 0 },
  mix: {},
};

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a session without a device sends paced audio, connects on the server audio and passes protocol frames on', async () => {
  const server = dgram.createSocket('udp4');
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', () => r()));
  const got: Buffer[] = [];
  server.on('message', (m) => got.push(m));
  let wakes = 0;
  const stream = new ClientStream(() => wakes++);
  try {
    stream.openDevice(OPTIONS.device, OPTIONS.frames);
    assert.equal(stream.deviceState, 'lost');
    const peer = { addr: ipv4ToUint('127.0.0.1'), port: server.address().port };
    stream.setSetup(OPTIONS, true, peer, 7, false);
    stream.setParams(OPTIONS);
    const bytes = audioPacketBytes(clientFormat(128, 'mono', 'normal', true));
    assert.equal(bytes, 46);

    await until('20 audio packets from the period clock', () => got.length >= 20, 5000);
    assert.ok(got.every((p) => p.length === bytes), `sizes ${[...new Set(got.map((p) => p.length))].join(',')}`);
    // Consecutive packets carry consecutive sequence numbers (the last byte).
    const seqs = got.slice(0, 10).map((p) => p[bytes - 1]!);
    for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], (seqs[i - 1]! + 1) & 0xff);
    assert.ok(stream.counters().fallbackPeriods >= 20);
    assert.equal(stream.connectedSession, 0);

    // The server's audio (one of its own packets back) makes session 7 connected and wakes JS.
    const before = wakes;
    server.send(got[0]!, stream.port, '127.0.0.1');
    await until('connected', () => stream.connectedSession === 7 && wakes > before, 3000);
    assert.equal(stream.counters().packetsIn, 1);

    // A protocol frame is not audio: it comes out of receive() with its sender and arrival time.
    const sentAt = monotonicNowNs();
    const ping = encodeMessage('CLM_PING_MS', { timeMs: 1234 }, 0);
    server.send(ping, stream.port, '127.0.0.1');
    let d = stream.receive();
    await until('the frame passed on', () => (d ??= stream.receive()) !== null, 3000);
    assert.ok(d && isProtocolFrame(d.bytes, d.length), 'a protocol frame');
    assert.equal(d!.length, ping.length);
    assert.equal(d!.port, server.address().port);
    assert.equal(d!.addr, peer.addr);
    assert.ok(d!.arrivalNs >= sentAt - 1e6 && d!.arrivalNs <= monotonicNowNs(), `arrival ${d!.arrivalNs} vs sent ${sentAt}`);

    // Without a session nothing more is sent.
    stream.setSetup(OPTIONS, true, null, 7, false);
    await new Promise((r) => setTimeout(r, 100));
    const count = got.length;
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(got.length - count <= 1, `${got.length - count} packets after the session ended`);
    assert.equal(stream.connectedSession, 0);
  } finally {
    stream.close();
    server.close();
  }
});
