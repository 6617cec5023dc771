// What the recorder writes: Jamulus's names, WAV headers kept current, silence where the ring dropped, a new
// file per connection and channel count, the .rpp and .lof, the repair of a session cut short, the listing and
// the mixdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { foldChars, hiddenAddress, parseTrackFileName, sessionDirName, trackName } from '../../appliance/src/recorder/naming.js';
import { audacityLof, reaperProject, seconds } from '../../appliance/src/recorder/project-files.js';
import { RecordingSession, type SlotMeta } from '../../appliance/src/recorder/session-writer.js';
import { repairSessions } from '../../appliance/src/recorder/repair.js';
import { listSessions } from '../../appliance/src/recorder/session-list.js';
import { mixdownSession } from '../../appliance/src/recorder/mixdown.js';
import { readWavInfo, repairWav, wavHeader } from '../../appliance/src/recorder/wav.js';
import type { RingRecord } from '../../appliance/src/recorder/ring.js';
import { readWav } from '../harness/wav.js';

const io = <T>(f: () => T): T => f();

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'riffbox-rec-'));
}

test("names as Jamulus's recorder makes them", () => {
  assert.equal(foldChars('Zoë Ångström-Ü!'), 'Zoe_Angstrom_U_');
  assert.equal(foldChars('€ße'), '_Se');
  assert.equal(hiddenAddress('203.0.113.77', 22134), '203.0.113.x:22134');
  assert.equal(hiddenAddress('127.0.0.1', 5), '127.0.0.1:5');
  assert.equal(hiddenAddress('2001:db8::7', 22134), '[2001:db8::x]:22134');
  assert.equal(hiddenAddress('::1', 9), '[::1]:9');
  assert.equal(hiddenAddress('::ffff:203.0.113.7', 9), '::ffff:203.0.113.x:9');
  assert.equal(trackName('Bo', '2001:db8::7', 22134), 'Bo__-_2001_db8__x__22134');
  assert.equal(trackName('Al', '192.168.1.20', 50000), 'Al__-192_168_1_x_50000');
  assert.equal(trackName('', '127.0.0.1', 1), '____-127_0_0_1_1');
  assert.equal(sessionDirName(new Date(Date.UTC(2026, 2, 1, 19, 45, 2, 7))), 'Jam-20260301-194502007');
  assert.deepEqual(parseTrackFileName('Al__-192_168_1_x_50000-940-2_1.wav'), { track: 'Al__-192_168_1_x_50000', startFrame: 940, channels: 2 });
  assert.equal(parseTrackFileName('mixdown.wav'), null);
});

test('.rpp and .lof: tracks by name in code-unit order, items at their start, 14-decimal seconds', () => {
  const items = [
    { track: 'Bob_-127_0_0_1_2', file: 'Bob_-127_0_0_1_2-100-1.wav', channels: 1, startFrame: 100, frames: 375 },
    { track: 'Ann_-127_0_0_1_1', file: 'Ann_-127_0_0_1_1-0-2.wav', channels: 2, startFrame: 0, frames: 750 },
    { track: 'Bob_-127_0_0_1_2', file: 'Bob_-127_0_0_1_2-900-1.wav', channels: 1, startFrame: 900, frames: 10 },
  ];
  assert.equal(seconds(375, 128), '1.00000000000000');
  assert.equal(audacityLof(items, 128), 'file "Ann_-127_0_0_1_1-0-2.wav" offset 0.00000000000000\nfile "Bob_-127_0_0_1_2-100-1.wav" offset 0.26666666666667\nfile "Bob_-127_0_0_1_2-900-1.wav" offset 2.40000000000000\n');
  const rpp = reaperProject(items, 128);
  assert.match(rpp, /^<REAPER_PROJECT 0\.1 "5\.0" 1551567848\n {2}RECORD_PATH "" ""\n {2}SAMPLERATE 48000 0 0\n {2}TEMPO 120 4 4\n {2}<TRACK \{[0-9a-f-]{36}\}\n {4}NAME Ann_-127_0_0_1_1\n/);
  assert.deepEqual([...rpp.matchAll(/NAME (.+)/g)].map((m) => m[1]), ['Ann_-127_0_0_1_1', 'Ann_-127_0_0_1_1 (1)', 'Bob_-127_0_0_1_2', 'Bob_-127_0_0_1_2 (1)', 'Bob_-127_0_0_1_2 (2)']);
  assert.deepEqual([...rpp.matchAll(/IID (\d+)/g)].map((m) => m[1]), ['0', '1', '2']);
  assert.ok(rpp.endsWith('  >\n>\n'));
});

function rec(session: number, tick: number, entries: [slot: number, epoch: number, channels: 1 | 2, value: number][], frameSamples = 128): RingRecord {
  return {
    session,
    tick,
    frameSamples,
    entries: entries.map(([slot, epoch, channels, v]) => ({ slot, epoch, channels, data: new Int16Array(frameSamples * channels).fill(v), offset: 0, count: frameSamples * channels })),
    count: entries.length,
  };
}

test('a session: a WAV per connection, silence where ticks were dropped, a new file on reconnect or a channel change, project files at the end', () => {
  const base = tmp();
  try {
    const names = new Map<string, SlotMeta>([
      ['0/1', { name: 'Ann', address: '127.0.0.1', port: 1000 }],
      ['1/1', { name: 'Bob', address: '198.51.100.9', port: 2000 }],
      ['1/2', { name: 'Bob', address: '198.51.100.9', port: 2001 }],
    ]);
    const meta = (slot: number, epoch: number): SlotMeta | undefined => names.get(`${slot}/${epoch}`);
    const s = new RecordingSession(base, 4, 16, io);
    s.onRecord(rec(4, 10, [[0, 1, 1, 100]]), meta);
    s.onRecord(rec(4, 11, [[0, 1, 1, 100], [1, 1, 1, 200]]), meta);
    s.onRecord(rec(4, 14, [[0, 1, 1, 100], [1, 1, 1, 200]]), meta); // ticks 12 and 13 were dropped
    s.onRecord(rec(4, 15, [[0, 1, 1, 100], [1, 2, 2, 300]]), meta); // Bob reconnected, now stereo
    s.onRecord(rec(4, 16, [[1, 2, 2, 300]]), meta); // Ann left
    s.fixup();
    assert.equal(s.droppedTicks, 2);
    assert.equal(s.frames, 7);
    assert.equal(s.end('stopped'), null);
    const files = readdirSync(s.dir).sort();
    assert.deepEqual(files, ['.riffbox-session.json', 'Ann_-127_0_0_1_1000-0-1.wav', 'Bob_-198_51_100_x_2000-1-1.wav', 'Bob_-198_51_100_x_2001-5-2.wav', `${s.name}.lof`, `${s.name}.rpp`]);
    const ann = readWav(join(s.dir, 'Ann_-127_0_0_1_1000-0-1.wav')).channels[0]!;
    assert.equal(ann.length, 6 * 128, 'ticks 10–15, the two dropped ones as silence');
    assert.ok(ann.subarray(0, 256).every((v) => Math.abs(v - 100 / 32768) < 1e-6));
    assert.ok(ann.subarray(256, 512).every((v) => v === 0));
    const bob2 = readWav(join(s.dir, 'Bob_-198_51_100_x_2001-5-2.wav'));
    assert.equal(bob2.channels.length, 2);
    assert.equal(bob2.channels[0]!.length, 2 * 128);
    assert.equal(readFileSync(join(s.dir, `${s.name}.lof`), 'utf8').split('\n').filter(Boolean).length, 3);
    const info = JSON.parse(readFileSync(join(s.dir, '.riffbox-session.json'), 'utf8'));
    assert.deepEqual([info.complete, info.endReason, info.droppedTicks, info.frameSamples], [true, 'stopped', 2, 128]);
    assert.deepEqual(info.names, { 'Ann_-127_0_0_1_1000': 'Ann', 'Bob_-198_51_100_x_2000': 'Bob', 'Bob_-198_51_100_x_2001': 'Bob' });

    const [listed] = listSessions(base);
    assert.equal(listed!.name, s.name);
    assert.deepEqual(listed!.musicians, ['Ann', 'Bob']);
    assert.equal(listed!.status, 'complete');
    assert.ok(Math.abs(listed!.seconds - (7 * 128) / 48000) < 1e-9);
    assert.ok(Math.abs(listed!.droppedSeconds - (2 * 128) / 48000) < 1e-9);

    const mix = mixdownSession(s.dir, s.name);
    const m = readWav(mix.path);
    assert.equal(m.channels.length, 2);
    assert.equal(m.channels[0]!.length, 7 * 128);
    const peak = Math.max(...m.channels[0]!.map(Math.abs));
    assert.ok(Math.abs(peak - 0.891) < 0.001, `normalised to −1 dBFS (${peak})`);
    assert.ok(listSessions(base)[0]!.mixdown);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('24-bit tracks carry the 16-bit sample in their top bytes', () => {
  const base = tmp();
  try {
    const s = new RecordingSession(base, 1, 24, io);
    s.onRecord(rec(1, 0, [[0, 1, 1, -1234]]), () => ({ name: 'X', address: '127.0.0.1', port: 1 }));
    s.end('stopped');
    const f = readdirSync(s.dir).find((x) => x.endsWith('.wav'))!;
    const info = readWavInfo(join(s.dir, f))!;
    assert.deepEqual([info.bits, info.frames, info.declaredBytes], [24, 128, 384]);
    const w = readWav(join(s.dir, f));
    assert.ok(Math.abs(w.channels[0]![5]! - -1234 / 32768) < 1e-6);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('a session cut short (no project files, sizes behind, a cut sample) is repaired and listed as interrupted', () => {
  const base = tmp();
  try {
    const s = new RecordingSession(base, 1, 16, io);
    const m = (): SlotMeta => ({ name: 'Cy', address: '127.0.0.1', port: 3 });
    for (let t = 0; t < 40; t++) s.onRecord(rec(1, t, [[0, 1, 1, 500]]), m);
    s.fixup();
    for (let t = 40; t < 80; t++) s.onRecord(rec(1, t, [[0, 1, 1, 500]]), m);
    // What a power cut leaves: data past the last fix-up, half a sample at the end, no .rpp/.lof, notes unfinished.
    const wav = join(s.dir, readdirSync(s.dir).find((f) => f.endsWith('.wav'))!);
    (s as unknown as { open: Map<number, { file: { flush(): void } }> }).open.get(0)!.file.flush();
    writeFileSync(wav, Buffer.from([1]), { flag: 'a' });
    assert.equal(readWavInfo(wav)!.declaredBytes, 40 * 256);
    assert.deepEqual(listSessions(base)[0]!.status, 'unfinished');

    const r = repairSessions(base);
    assert.deepEqual(r, { sessions: [s.name], errors: [] });
    const info = readWavInfo(wav)!;
    assert.deepEqual([info.declaredBytes, statSync(wav).size], [80 * 256, 44 + 80 * 256]);
    assert.match(readFileSync(join(s.dir, `${s.name}.lof`), 'utf8'), /^file "Cy__-127_0_0_1_3-0-1\.wav" offset 0\.00000000000000\n$/);
    assert.equal(listSessions(base)[0]!.status, 'interrupted');
    assert.deepEqual(repairSessions(base), { sessions: [], errors: [] }, 'a repaired session is left alone');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('repairWav: a header of zeros, and a file that is not a WAV', () => {
  const dir = tmp();
  try {
    const p = join(dir, 'a.wav');
    writeFileSync(p, Buffer.concat([wavHeader(2, 16, 0), Buffer.alloc(4 * 1000 + 3)]));
    assert.deepEqual(repairWav(p), { frames: 1000, changed: true });
    assert.equal(statSync(p).size, 44 + 4000);
    writeFileSync(join(dir, 'b.wav'), 'not audio at all, not at all, no, not at all');
    assert.equal(repairWav(join(dir, 'b.wav')), null);
    truncateSync(p, 10);
    assert.equal(readWavInfo(p), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
