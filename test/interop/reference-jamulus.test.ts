// The baseline the riffbox server must match, measured on Debian's real Jamulus 3.9.1: a real
// server and two real headless clients, each client on its own jackd. It also proves the harness:
// names over JSON-RPC, client lists, a sine from A heard at B's output without dropouts, and the
// codec/size/rate each client configuration really puts on the wire.
import { describe, test, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessGroup } from '../harness/processes.js';
import { startJackd, playSine, record, SINE_LEFT_HZ } from '../harness/jack.js';
import { startJamulusServer, startJamulusDirectory, startJamulusClient, JamulusClient, Quality, Channels } from '../harness/jamulus.js';
import { readWav } from '../harness/audio-analysis.js';
import { listenUntilJudged, judgeInQuietWindows, quietWindowsTimeout } from '../harness/listening.js';
import { UdpRelay, trafficSummary, RelayedDatagram } from '../harness/udp-peer.js';

const RATE = 48000;
const RECORD_SECONDS = 10;
/** The server fades a new channel in over ≈3 s (protocol reference §3.6); record after that. */
const FADE_IN_MS = 3500;

interface ClientListEntry {
  id: number;
  name: string;
}

async function waitForNameInList(c: JamulusClient, name: string, timeoutMs = 8000): Promise<ClientListEntry[]> {
  const deadline = Date.now() + timeoutMs;
  let last: ClientListEntry[] = [];
  for (;;) {
    const res = await c.rpc!.client.call<{ clients: ClientListEntry[] }>('jamulusclient/getClientList');
    last = res.clients;
    if (last.some((e) => e.name === name)) return last;
    if (Date.now() > deadline) throw new Error(`${c.name}: "${name}" never appeared in the client list: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function sineFromAHeardAtB(label: string, frames: 64 | 128, fastUpdate: boolean, t: TestContext): Promise<void> {
  const g = new ProcessGroup(label);
  try {
    const server = await startJamulusServer(g, { fastUpdate });
    const jackA = await startJackd(g, { frames });
    const jackB = await startJackd(g, { frames });
    const a = await startJamulusClient(g, { server: server.address, jack: jackA, frames, name: 'a-initial' });
    const b = await startJamulusClient(g, { server: server.address, jack: jackB, frames, name: 'b-initial' });
    const connectedAt = Date.now();

    const sinceB = b.rpc!.client.notifications.length;
    assert.equal(await a.rpc!.client.call('jamulusclient/setName', { name: 'Alice' }), 'ok');
    assert.equal(await b.rpc!.client.call('jamulusclient/setName', { name: 'Bob' }), 'ok');
    // The server pushes the new list to everybody: B learns A's new name as a notification.
    await b.rpc!.client.waitForNotification('jamulusclient/clientListReceived', (p) => (p.clients as ClientListEntry[]).some((e) => e.name === 'Alice'), 8000, sinceB);
    const seenByA = await waitForNameInList(a, 'Bob');
    const seenByB = await waitForNameInList(b, 'Alice');
    assert.ok(seenByA.some((e) => e.name === 'Alice'), `A lists itself: ${JSON.stringify(seenByA)}`);
    assert.equal(seenByB.length, 2, JSON.stringify(seenByB));

    // 240 Hz into both of A's inputs: a mono client mixes its inputs, so one tone stays one tone.
    await playSine(g, jackA, [a.inputs.left, a.inputs.right]);
    const wait = FADE_IN_MS - (Date.now() - connectedAt);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // Both channels carry the tone (a mono client plays its mix on both sides). Windows in which the host
    // stole CPU time judge nothing (listening.ts); a window on a quiet host must pass.
    await listenUntilJudged({
      t,
      jacks: [jackA, jackB],
      record: async (attempt) => {
        const wav = readWav(await record(g, jackB, [b.outputs.left, b.outputs.right], RECORD_SECONDS, g.path(`b-out-${attempt}.wav`)));
        assert.equal(wav.channels[0]!.length, RECORD_SECONDS * RATE);
        return wav.channels.map((ch, i) => ({ label: `${label} B output ${i === 0 ? 'left' : 'right'}`, samples: ch, freq: SINE_LEFT_HZ }));
      },
    });
  } finally {
    await g.stopAll();
  }
}

const SESSION_TIMEOUT = quietWindowsTimeout({ otherMs: 60_000, windowMs: RECORD_SECONDS * 1000 });

describe('reference Jamulus 3.9.1: server + two headless clients', () => {
  test('OPUS (128) clients on a normal server: names, client lists, 240 Hz from A at B with no dropouts', { timeout: SESSION_TIMEOUT }, async (t) => {
    await sineFromAHeardAtB('ref-128', 128, false, t);
  });

  test('OPUS64 clients on a -F fast-update server: names, client lists, 240 Hz from A at B with no dropouts', { timeout: SESSION_TIMEOUT }, async (t) => {
    await sineFromAHeardAtB('ref-64F', 64, true, t);
  });
});

// A protocol frame per §1.4, minus the CRC check (a stray audio frame passing the length test is
// vanishingly unlikely in these few seconds): enough to find NETW_TRANSPORT_PROPS (id 20).
function isProtocolFrame(b: Buffer): boolean {
  return b.length >= 9 && b[0] === 0 && b[1] === 0 && b.readUInt16LE(5) === b.length - 9;
}

interface Props {
  base: number;
  factor: number;
  channels: number;
  codec: number;
  flags: number;
}

function transportProps(log: readonly RelayedDatagram[]): Props[] {
  return log
    .filter((d) => d.direction === 'up' && isProtocolFrame(d.data) && d.data.readUInt16LE(2) === 20)
    .map((d) => {
      const p = d.data.subarray(7);
      return { base: p.readUInt32LE(0), factor: p.readUInt16LE(4), channels: p[6]!, codec: p.readUInt16LE(11), flags: p.readUInt16LE(13) };
    });
}

/** One judged stretch of the wire; a 2.5 s window, since the dummy JACK driver can bunch a second's packets. */
const WIRE_WINDOW_MS = 2500;

describe('reference Jamulus 3.9.1 client: what each configuration puts on the wire', () => {
  const g = new ProcessGroup('ref-wire');
  after(() => g.stopAll());

  // [jack period, quality, channels] → codec id (2 OPUS, 3 OPUS64), coded bytes per frame, channels, packets/s.
  const cases: Array<[64 | 128, Quality, Channels, number, number, number, number]> = [
    [128, 'normal', 'mono', 2, 45, 1, 375],
    [64, 'normal', 'mono', 3, 22, 1, 750],
    [128, 'high', 'stereo', 2, 165, 2, 375],
    [64, 'low', 'mono-stereo', 3, 24, 2, 750],
  ];
  for (const [frames, quality, channels, codec, coded, nch, rate] of cases) {
    test(`${frames}-sample JACK period, ${quality}, ${channels} → codec ${codec}, ${coded}+1 bytes, ${rate}/s`, { timeout: quietWindowsTimeout({ otherMs: 40_000, windowMs: WIRE_WINDOW_MS }) }, async (t) => {
      const server = await startJamulusServer(g);
      const jack = await startJackd(g, { frames });
      const relay = await UdpRelay.open(server.port);
      let c: JamulusClient | undefined;
      try {
        c = await startJamulusClient(g, { server: relay.address, jack, frames, quality, channels, name: 'wire' });
        await new Promise((r) => setTimeout(r, 1000));
        const props = transportProps(relay.log);
        const last = props[props.length - 1];
        // After the server's VERSION_AND_OS (≥ 3.6.0) the client switches sequence numbers on: size + 1, flags 1.
        assert.deepEqual(last, { base: coded + 1, factor: 1, channels: nch, codec, flags: 1 }, JSON.stringify(props));
        // The packet rate is the dummy JACK driver's clock: when the host takes the CPU away, that
        // driver skips cycles and the client sends fewer packets. Rates are judged in quiet windows.
        await judgeInQuietWindows({
          t,
          jacks: [jack],
          window: async () => {
            const t0 = performance.now();
            await new Promise((r) => setTimeout(r, WIRE_WINDOW_MS));
            const up = trafficSummary(relay.log.filter((d) => d.direction === 'up' && d.at > t0 && !isProtocolFrame(d.data)));
            const down = trafficSummary(relay.log.filter((d) => d.direction === 'down' && d.at > t0 && !isProtocolFrame(d.data)));
            // Sizes are the format, which no stall changes: exact in every window. Only the rates wait for a quiet one.
            const upSizes = [...up.sizes.keys()];
            const downSizes = [...down.sizes.keys()];
            assert.ok(upSizes.every((n) => n === coded + 1), `client sizes ${JSON.stringify(upSizes)}, expected [${coded + 1}]`);
            assert.ok(downSizes.every((n) => n === coded + 1), `the server answers in sizes ${JSON.stringify(downSizes)}, not the client's ${coded + 1}`);
            const problems: string[] = [];
            if (!(Math.abs(up.perSecond - rate) < rate * 0.05)) problems.push(`client sends ${up.perSecond.toFixed(1)}/s, expected ${rate}/s`);
            if (!(Math.abs(down.perSecond - rate) < rate * 0.05)) problems.push(`server sends ${down.perSecond.toFixed(1)}/s, expected ${rate}/s`);
            return { problems, summaries: [`up ${up.perSecond.toFixed(1)}/s, down ${down.perSecond.toFixed(1)}/s`] };
          },
        });
      } finally {
        await c?.stop(); // before its jackd: a JACK client whose server vanishes hangs in shutdown
        relay.close();
        await server.stop();
        await jack.process.stop();
      }
    });
  }
});

describe('reference Jamulus 3.9.1 directory', { timeout: 60_000 }, () => {
  test('a server registers with a directory started by startJamulusDirectory', async () => {
    const g = new ProcessGroup('ref-dir');
    try {
      const dir = await startJamulusDirectory(g, { jsonrpc: true, serverInfo: 'Harness directory;Berlin;DE' });
      const server = await startJamulusServer(g, { directory: dir.address, serverInfo: 'Harness server;Hamburg;DE', jsonrpc: true });
      const deadline = Date.now() + 15000;
      let profile: { name: string; directoryServer: string; registrationStatus: string };
      for (;;) {
        profile = await server.rpc!.client.call('jamulusserver/getServerProfile');
        if (profile.registrationStatus === 'registered' || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(profile.registrationStatus, 'registered', `${JSON.stringify(profile)}\n${g.describe()}`);
      assert.equal(profile.name, 'Harness server');
      const dirProfile = await dir.rpc!.client.call<{ directoryServer: string }>('jamulusserver/getServerProfile');
      assert.ok(dirProfile.directoryServer.length > 0, JSON.stringify(dirProfile));
    } finally {
      await g.stopAll();
    }
  });
});
