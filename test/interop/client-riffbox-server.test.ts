// The riffbox client against the riffbox server, with 64- and 128-sample periods, and with a real
// Jamulus client as the other musician: sine both ways, the device vanishing mid-session (jackd
// stopped) and coming back, and the server killed and restarted on the same port.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { ProcessGroup, type ManagedProcess } from '../harness/processes.js';
import { playSine, record, realtimeAllowed, startJackd, SINE_LEFT_HZ, SINE_RIGHT_HZ, type Jack } from '../harness/jack.js';
import { startJamulusClient, type JamulusClient } from '../harness/jamulus.js';
import { freeTcpPort, freeUdpPort, randomSecret, waitForUdpBound } from '../harness/ports.js';
import { connect as rpcConnect, type JsonRpcClient } from '../harness/jsonrpc-client.js';
import { readWav } from '../harness/audio-analysis.js';
import { listenUntilJudged } from '../harness/listening.js';
import { CLI, startRiffboxClient, writeAsoundrc, waitFor, sleep, PLAYBACK_CRITERIA, type RiffboxClient } from './client-rig.js';
import type { ClientStats } from '../../appliance/src/client/client-options.js';

const RATE = 48000;

interface RiffServer {
  process: ManagedProcess;
  rpc: JsonRpcClient;
}

describe('riffbox client with the riffbox server', () => {
  let group: ProcessGroup;
  let jackRiff: Jack;
  let real: JamulusClient;
  let asoundrc: string;
  let serverPort: number;
  let rpcPort: number;
  let secret: string;
  let secretFile: string;
  let server: RiffServer;

  async function startServer(): Promise<RiffServer> {
    const args = [CLI, 'server', '--no-port-mapping', '--port', String(serverPort), '--jsonrpc-port', String(rpcPort), '--jsonrpc-secret-file', secretFile];
    const [cmd, cmdArgs] = realtimeAllowed() ? ['chrt', ['-f', '60', process.execPath, ...args]] : [process.execPath, args];
    const proc = group.spawn('riffbox-server', cmd, cmdArgs);
    await proc.waitForLine(/^riffbox server listening on udp\//, 10000, 'stdout');
    await waitForUdpBound(serverPort, 5000, () => proc.running);
    const rpc = await rpcConnect(rpcPort, secret, 10000);
    group.onCleanup(() => rpc.close());
    return { process: proc, rpc };
  }

  async function listed(name: string): Promise<{ name: string; channels: number }> {
    return waitFor(
      `${name} in getClients`,
      async () => (await server.rpc.call<{ clients: { name: string; channels: number }[] }>('jamulusserver/getClients')).clients.find((c) => c.name === name),
      8000,
    );
  }

  async function hearsEachOther(riff: RiffboxClient, label: string, playbackSeconds: number, t: TestContext): Promise<void> {
    const { playback } = await riff.ports();
    await listenUntilJudged({
      t,
      jacks: [riff.jack, real.jack],
      record: async (attempt) => {
        // riffbox's capture as the real client hears it (the first second skipped: the server's fade-in).
        const realWav = readWav(await record(group, real.jack, [real.outputs.left], 3, group.path(`${label}-real-${attempt}.wav`))).channels[0]!;
        const before = await riff.rpc.call<ClientStats>('riffbox/getStats');
        const riffWav = readWav(await record(group, riff.jack, [playback[0]!], playbackSeconds, group.path(`${label}-riff-${attempt}.wav`))).channels[0]!;
        const afterStats = await riff.rpc.call<ClientStats>('riffbox/getStats');
        t.diagnostic(`${label}: device ${JSON.stringify(before.device)} → ${JSON.stringify(afterStats.device)}, jitter underruns ${afterStats.jitterUnderruns - before.jitterUnderruns}`);
        return [
          { label: `${label}: real client output`, samples: realWav.subarray(RATE), freq: SINE_LEFT_HZ, criteria: PLAYBACK_CRITERIA },
          { label: `${label}: riffbox playback`, samples: riffWav, freq: SINE_RIGHT_HZ, criteria: PLAYBACK_CRITERIA },
        ];
      },
    });
  }

  before(async () => {
    group = new ProcessGroup('client-riffbox');
    jackRiff = await startJackd(group, { frames: 64 });
    const jackReal = await startJackd(group, { frames: 128 });
    serverPort = await freeUdpPort();
    rpcPort = await freeTcpPort();
    secret = randomSecret();
    secretFile = group.path('server.secret');
    writeFileSync(secretFile, secret + '\n', { mode: 0o600 });
    server = await startServer();
    real = await startJamulusClient(group, { server: `127.0.0.1:${serverPort}`, jack: jackReal, name: 'RealJam', muteMyOwn: true });
    await playSine(group, jackReal, { right: [real.inputs.left, real.inputs.right] });
    asoundrc = writeAsoundrc(group);
  });

  after(async () => {
    await group?.stopAll();
  });

  let riff128: RiffboxClient;

  for (const frames of [64, 128] as const) {
    test(`${frames}-sample periods: listed, sine both ways, 10 s of playback without dropouts`, async (t) => {
      const riff = await startRiffboxClient(group, {
        server: `127.0.0.1:${serverPort}`,
        jack: jackRiff,
        asoundrc,
        frames,
        name: `Riff${frames}`,
        settings: { 'client.hearOwnSignal': false },
      });
      const me = await listed(`Riff${frames}`);
      assert.equal(me.channels, 1);
      const s = await riff.rpc.call<ClientStats>('riffbox/getStats');
      assert.equal(s.codec, frames === 64 ? 'OPUS64' : 'OPUS');
      assert.equal(s.sequence, true);
      await playSine(group, jackRiff, (await riff.ports()).capture);
      await hearsEachOther(riff, `f${frames}`, 10, t);
      if (frames === 128) {
        riff128 = riff;
        return;
      }
      // A clean disconnect frees the channel at once (CLM_DISCONNECTION), not after the server's 30 s.
      await riff.process.stop();
      await waitFor(
        'Riff64 gone from getClients',
        async () => ((await server.rpc.call<{ clients: { name: string }[] }>('jamulusserver/getClients')).clients.some((c) => c.name === 'Riff64') ? undefined : true),
        3000,
      );
    });
  }

  test('the ALSA device vanishing mid-session is reported, the client stays up and resumes when it is back', async (t) => {
    const riff = riff128;
    assert.ok(riff, 'the 128-sample client is running');
    await jackRiff.process.stop();
    await riff.process.waitForLine(/^riffbox client: ALSA device 'riffboxtest': .*; retrying every second$/, 10000, 'stderr');
    const lost = await riff.rpc.call<ClientStats>('riffbox/getStats');
    assert.equal(lost.device.state, 'lost');
    // The session outlives the device: a timer sends silence in its place.
    assert.equal(lost.state, 'connected');
    await sleep(1500);
    assert.equal(riff.process.running, true);
    assert.ok((await riff.rpc.call<ClientStats>('riffbox/getStats')).fallbackPeriods > 0);

    jackRiff = await startJackd(group, { frames: 64, name: jackRiff.name });
    await riff.process.waitForLine(/^riffbox client: audio device 'riffboxtest' is back$/, 15000, 'stderr');
    const back = await riff.rpc.call<ClientStats>('riffbox/getStats');
    assert.equal(back.device.state, 'running');
    assert.equal(back.state, 'connected');
    const capture = await waitFor('capture ports after reopening', async () => {
      const p = await riff.ports();
      return p.capture.length === 2 && p.playback.length === 2 ? p.capture : undefined;
    }, 5000);
    await playSine(group, jackRiff, capture);
    await hearsEachOther(riff, 'resumed', 3, t);
  });

  test('the server killed and restarted: the client reconnects by itself', async () => {
    const riff = riff128;
    assert.ok(riff, 'the 128-sample client is running');
    const connectedLines = (): number => riff.process.output().stdout.split('\n').filter((l) => l.startsWith('riffbox client connected to ')).length;
    const before = connectedLines();
    server.rpc.close();
    await server.process.stop();
    await riff.process.waitForLine(/^riffbox client: disconnected: /, 10000, 'stderr');
    server = await startServer();
    await waitFor('a new "connected to" line', async () => (connectedLines() > before ? true : undefined), 20000, () => riff.process.tail());
    assert.equal(riff.process.running, true);
    const me = await listed('Riff128');
    assert.equal(me.channels, 1);
    const a = await riff.rpc.call<ClientStats>('riffbox/getStats');
    await sleep(1000);
    const b = await riff.rpc.call<ClientStats>('riffbox/getStats');
    assert.equal(b.state, 'connected');
    assert.ok(b.audioPacketsIn - a.audioPacketsIn > 300, `server audio flows again: ${b.audioPacketsIn - a.audioPacketsIn} packets in 1 s`);
  });
});
