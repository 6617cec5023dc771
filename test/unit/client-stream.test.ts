// The client's real-time half (the addon's ClientStream) against a plain UDP socket standing in for the
// server, with no sound card: the device is missing, so the period clock that stands in for it paces the
// path. Checks that a session sends audio packets of the negotiated size with sequence numbers, that the
// server's first audio marks that session connected and wakes JS, that a protocol frame is passed on with
// its sender and a kernel receive time, and that ending the session stops the sending; the same over IPv4 and
// IPv6, since the stream's one socket is dual-stack.
// Counts are loose functional checks; timing figures belong to test/bench.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { ClientStream, clientFormat } from '../../appliance/src/client/client-stream.js';
import { ipv4ToUint, monotonicNowNs } from '../../appliance/src/net/udp-socket.js';
import { audioPacketBytes, encodeMessage, isProtocolFrame } from '../../appliance/src/protocol/index.js';
import type { ClientEngineOptions } from '../../appliance/src/client/client-options.js';

/** IPv6 peers are ids in 1…4096 (PeerTable::kCapacity, appliance/src/net/README.md). */
const PEER_ID_MAX = 4096;

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

for (const [family, host] of [['udp4', '127.0.0.1'], ['udp6', '::1']] as const) test(`${family === 'udp4' ? 'IPv4' : 'IPv6'}: a session without a device sends paced audio, connects on the server audio and passes protocol frames on`, async () => {
  const server = dgram.createSocket(family);
  await new Promise<void>((r) => server.bind(0, host, () => r()));
  const got: Buffer[] = [];
  server.on('message', (m) => got.push(m));
  let wakes = 0;
  const stream = new ClientStream(() => wakes++);
  try {
    stream.openDevice(OPTIONS.device, OPTIONS.frames);
    assert.equal(stream.deviceState, 'lost');
    assert.equal(stream.family, 6, 'the socket is dual-stack');
    const addr = stream.peerId(host);
    if (family === 'udp4') assert.equal(addr, ipv4ToUint(host), 'IPv4 is its own uint32');
    else assert.ok(addr >= 1 && addr <= PEER_ID_MAX, `an IPv6 server gets a peer id: ${addr}`);
    assert.equal(stream.peerAddress(addr), host);
    const peer = { addr, port: server.address().port };
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
    const wakesBefore = wakes;
    server.send(got[0]!, stream.port, host);
    await until('connected', () => stream.connectedSession === 7 && wakes > wakesBefore, 3000);
    assert.equal(stream.counters().packetsIn, 1);

    // A protocol frame is not audio: it comes out of receive() with its sender and arrival time.
    const sentAt = monotonicNowNs();
    const ping = encodeMessage('CLM_PING_MS', { timeMs: 1234 }, 0);
    server.send(ping, stream.port, host);
    let d = stream.receive();
    await until('the frame passed on', () => (d ??= stream.receive()) !== null, 3000);
    assert.ok(d && isProtocolFrame(d.bytes, d.length), 'a protocol frame');
    assert.equal(d!.length, ping.length);
    assert.equal(d!.port, server.address().port);
    assert.equal(d!.addr, peer.addr);
    assert.ok(d!.arrivalNs >= sentAt - 1e6 && d!.arrivalNs <= monotonicNowNs(), `arrival ${d!.arrivalNs} vs sent ${sentAt}`);

    // The engine's protocol messages go out through the same socket to the same peer.
    const before = got.length;
    assert.equal(stream.send(ping, peer.addr, peer.port), true);
    await until('the frame sent', () => got.slice(before).some((p) => p.length === ping.length && isProtocolFrame(p, p.length)), 3000);

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

test('an IPv6 peer id the socket never gave is refused: setSetup throws, send is counted', () => {
  const stream = new ClientStream(() => undefined);
  try {
    const unknown = PEER_ID_MAX - 1;
    assert.equal(stream.peerAddress(unknown), null);
    assert.throws(() => stream.setSetup(OPTIONS, true, { addr: unknown, port: 22124 }, 1, false), { name: 'TypeError', message: /never gave/ });
    assert.equal(stream.send(new Uint8Array(9), unknown, 22124), false);
    assert.equal(stream.counters().sendErrors, 1);
    assert.match(stream.counters().lastSendError ?? '', /EDESTADDRREQ/);
    assert.throws(() => stream.peerId('not-an-address'), { name: 'TypeError' });
  } finally {
    stream.close();
  }
});
