// Issue 14 acceptance: the recorder's JSON-RPC methods answer as Jamulus's do (its recorder methods are the same
// in 3.9.1 and 3.12), checked call by call against Debian's Jamulus 3.9.1 server; a real client's session comes
// out with the same files; and a client on the wire sees RECORDER_STATE change when recording starts and stops.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProcessGroup } from '../harness/processes.js';
import { JsonRpcError, type JsonRpcClient } from '../harness/jsonrpc-client.js';
import { startJamulusServer } from '../harness/jamulus.js';
import { startJackd, playSine } from '../harness/jack.js';
import { startJamulusClient } from '../harness/jamulus.js';
import { readWav } from '../harness/wav.js';
import { startRiffboxServer } from './support/riffbox-server.js';
import { ProbeClient } from './support/probe-client.js';
import { waitForFile } from './support/recording-analysis.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One answer, with the server's own folder replaced by BASE so the two servers compare. */
async function answer(rpc: JsonRpcClient, base: string, method: string, params: Record<string, unknown> = {}): Promise<unknown> {
  let out: unknown;
  try {
    out = { result: await rpc.call(method, params) };
  } catch (e) {
    if (!(e instanceof JsonRpcError)) throw e;
    out = { error: { code: e.code, message: e.message.replace(/^JSON-RPC error -?\d+: /, '') } };
  }
  return JSON.parse(JSON.stringify(out).split(base).join('BASE'));
}

/** The same calls against a server whose folders live under `base`. */
async function script(rpc: JsonRpcClient, base: string): Promise<unknown[]> {
  const file = join(base, 'a-file');
  writeFileSync(file, 'not a folder');
  const status = (): Promise<unknown> => answer(rpc, base, 'jamulusserver/getRecorderStatus');
  const call = (m: string, p: Record<string, unknown> = {}): Promise<unknown> => answer(rpc, base, `jamulusserver/${m}`, p);
  const steps: unknown[] = [];
  const step = async (label: string, ...calls: Promise<unknown>[]): Promise<void> => {
    const results: unknown[] = [];
    for (const c of calls) results.push(await c);
    steps.push({ label, results });
  };
  await step('start state', status());
  await step('start', call('startRecording'), status());
  await step('restart', call('restartRecording'), status());
  await step('stop', call('stopRecording'), status());
  await step('restart while stopped', call('restartRecording'), status());
  await step('folder not a string', call('setRecordingDirectory', { recordingDirectory: 42 }), status());
  await step('folder missing', call('setRecordingDirectory', {}), status());
  await step('folder is a file', call('setRecordingDirectory', { recordingDirectory: file }), status());
  await step('start without a folder', call('startRecording'), status());
  await step('no folder', call('setRecordingDirectory', { recordingDirectory: '' }), status());
  await step('new nested folder, made', call('setRecordingDirectory', { recordingDirectory: join(base, 'new', 'nested') }), status());
  await step('stop, then a folder', call('stopRecording'), call('setRecordingDirectory', { recordingDirectory: join(base, 'again') }), status());
  await step('start again', call('startRecording'), status());
  return steps;
}

describe('recorder JSON-RPC and files, next to Jamulus 3.9.1', { timeout: 120_000 }, () => {
  test('every recorder method answers as Jamulus 3.9.1/3.12 does, call by call', async () => {
    const g = new ProcessGroup('rec-rpc');
    try {
      const jb = g.path('jamulus');
      const rb = g.path('riffbox');
      const jamulus = await startJamulusServer(g, { jsonrpc: true, extraArgs: ['-R', join(jb, 'rec'), '--norecord'] });
      const riffbox = await startRiffboxServer(g, { extraArgs: ['--recording', join(rb, 'rec'), '--norecord'] });
      const expected = await script(jamulus.rpc!.client, jb);
      const got = await script(riffbox.rpc, rb);
      for (let i = 0; i < expected.length; i++) assert.deepEqual(got[i], expected[i], `step ${i}`);
      assert.deepEqual(readdirSync(rb).sort(), readdirSync(jb).sort(), 'the same folders were made');
    } finally {
      await g.stopAll();
    }
  });

  test('SIGUSR2 turns recording on and off, as it does for Jamulus', async () => {
    const g = new ProcessGroup('rec-signals');
    try {
      const jamulus = await startJamulusServer(g, { jsonrpc: true, extraArgs: ['-R', g.path('jr'), '--norecord'] });
      const riffbox = await startRiffboxServer(g, { extraArgs: ['--recording', g.path('rr'), '--norecord'] });
      const enabled = async (rpc: JsonRpcClient): Promise<boolean> => (await rpc.call<{ enabled: boolean }>('jamulusserver/getRecorderStatus')).enabled;
      for (const [pid, rpc] of [[jamulus.process.pid, jamulus.rpc!.client], [riffbox.process.pid, riffbox.rpc]] as const) {
        assert.equal(await enabled(rpc), false);
        process.kill(pid, 'SIGUSR2');
        for (let i = 0; i < 30 && !(await enabled(rpc)); i++) await sleep(100);
        assert.equal(await enabled(rpc), true);
        process.kill(pid, 'SIGUSR2');
        for (let i = 0; i < 30 && (await enabled(rpc)); i++) await sleep(100);
        assert.equal(await enabled(rpc), false);
      }
    } finally {
      await g.stopAll();
    }
  });

  test('a real client recorded by each: the same files, names and formats', async () => {
    const g = new ProcessGroup('rec-files');
    try {
      const jdir = g.path('jamulus-rec');
      const rdir = g.path('riffbox-rec');
      const jamulus = await startJamulusServer(g, { jsonrpc: true, extraArgs: ['-R', jdir, '--norecord'] });
      const riffbox = await startRiffboxServer(g, { extraArgs: ['--recording', rdir, '--norecord'] });
      const jack = await startJackd(g, { frames: 128 });
      const cj = await startJamulusClient(g, { server: jamulus.address, jack, frames: 128, name: 'Carol Ü', clientName: 'J' });
      const cr = await startJamulusClient(g, { server: riffbox.address, jack, frames: 128, name: 'Carol Ü', clientName: 'R' });
      await playSine(g, jack, [cj.inputs.left, cr.inputs.left]);
      // Recording starts once the client has told its name: Jamulus names a file after whatever name the client
      // has at its first recorded frame ("____" before it told one), riffbox records a musician once named.
      for (const rpc of [jamulus.rpc!.client, riffbox.rpc]) {
        for (let i = 0; i < 100; i++) {
          const { clients } = await rpc.call<{ clients: { name: string }[] }>('jamulusserver/getClients');
          if (clients.some((c) => c.name === 'Carol Ü')) break;
          await sleep(100);
        }
      }
      for (const rpc of [jamulus.rpc!.client, riffbox.rpc]) assert.equal(await rpc.call('jamulusserver/startRecording'), 'acknowledged');
      await sleep(3000);
      for (const rpc of [jamulus.rpc!.client, riffbox.rpc]) assert.equal(await rpc.call('jamulusserver/stopRecording'), 'acknowledged');
      const layout = async (dir: string): Promise<{ files: string[]; lof: string; rpp: string; formats: string[] }> => {
        const [session] = readdirSync(dir);
        assert.match(String(session), /^Jam-\d{8}-\d{9}$/);
        const sdir = join(dir, session!);
        await waitForFile(join(sdir, `${session}.rpp`), 5000);
        const files = readdirSync(sdir).filter((f) => !f.startsWith('.')).sort();
        const norm = (s: string): string =>
          s.split(session!).join('SESSION')
            .replace(/127_0_0_1_\d+/g, '127_0_0_1_PORT')
            .replace(/\{[0-9a-f-]{36}\}/g, '{GUID}')
            .replace(/\d+\.\d{14}/g, 'SECONDS')
            // Jamulus names each file by its full path; riffbox by its name alone, so a downloaded session still opens.
            .replace(/FILE "[^"]*\/([^"/]+)"/g, 'FILE "$1"');
        const wavs = files.filter((f) => f.endsWith('.wav'));
        const formats = wavs.map((f) => {
          const w = readWav(join(sdir, f));
          return `${w.sampleRate} Hz ${w.bitsPerSample}-bit ${w.channels.length} ch ${w.format}`;
        });
        return { files: files.map(norm), lof: norm(readFileSync(join(sdir, `${session}.lof`), 'utf8')), rpp: norm(readFileSync(join(sdir, `${session}.rpp`), 'utf8')), formats };
      };
      const j = await layout(jdir);
      const r = await layout(rdir);
      assert.deepEqual(r.files, j.files);
      assert.deepEqual(r.formats, j.formats);
      assert.equal(r.lof, j.lof);
      assert.equal(r.rpp, j.rpp);
      assert.match(j.files.join(' '), /^Carol_U-127_0_0_1_PORT-0-1\.wav SESSION\.lof SESSION\.rpp$/);
    } finally {
      await g.stopAll();
    }
  });

  test('a client on the wire sees RECORDER_STATE change when recording starts and stops, as from Jamulus', async () => {
    const g = new ProcessGroup('rec-state');
    const probes: ProbeClient[] = [];
    try {
      const jamulus = await startJamulusServer(g, { jsonrpc: true, extraArgs: ['-R', g.path('jr'), '--norecord'] });
      const riffbox = await startRiffboxServer(g, { extraArgs: ['--recording', g.path('rr'), '--norecord'] });
      const states = async (port: number, rpc: JsonRpcClient, name: string): Promise<number[]> => {
        const p = new ProbeClient({ serverPort: port, name });
        probes.push(p);
        await p.start();
        const seen = (): number[] => p.messages.flatMap((m) => (m.name === 'RECORDER_STATE' ? [m.value.state] : []));
        await p.waitFor(() => seen().length === 1, 5000, 'RECORDER_STATE on connecting');
        await rpc.call('jamulusserver/startRecording');
        await p.waitFor(() => seen().length === 2, 5000, 'RECORDER_STATE after startRecording');
        await rpc.call('jamulusserver/stopRecording');
        await p.waitFor(() => seen().length === 3, 5000, 'RECORDER_STATE after stopRecording');
        return seen();
      };
      const j = await states(jamulus.port, jamulus.rpc!.client, 'probe-j');
      const r = await states(riffbox.port, riffbox.rpc, 'probe-r');
      assert.deepEqual(j, [2, 3, 2], 'Jamulus: not enabled, recording, not enabled');
      assert.deepEqual(r, j);
      // riffbox also tells clients when the recorder goes away (Jamulus leaves them with the old state).
      const p = probes[1]!;
      await riffbox.rpc.call('jamulusserver/setRecordingDirectory', { recordingDirectory: '' });
      await p.waitFor(() => p.messages.filter((m) => m.name === 'RECORDER_STATE').length === 4, 5000, 'RECORDER_STATE after the folder was removed');
      const last = [...p.messages].reverse().find((m) => m.name === 'RECORDER_STATE');
      assert.equal(last?.name === 'RECORDER_STATE' ? last.value.state : -1, 1);
    } finally {
      for (const p of probes) p.close();
      await g.stopAll();
    }
  });
});
