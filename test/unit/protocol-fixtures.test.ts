// Every fixture (captured from Debian's Jamulus 3.9.1, worked examples of the protocol reference, and
// hand-made frames for ids 3.9.1 never sends) goes through one round-trip helper.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeMessage,
  encodeMessage,
  encodeMessageInto,
  encodingLength,
  isProtocolFrame,
  MESSAGES,
  messageClass,
  parseFrame,
  splitPayload,
  SplitReassembler,
  type MessageName,
  type MessageValues,
  type SplitPart,
} from '../../appliance/src/protocol/index.js';
import { fixtureBytes, loadFixtures, type ProtocolFixture } from '../fixtures/protocol/load.js';

const files = ['captured-3.9.1.json', 'reference-examples.json', 'handmade.json'];
const all = files.flatMap((file) => loadFixtures(file).map((f) => ({ ...f, file })));

/** decode -> expected; encode -> identical bytes; encodingLength; re-encode at an offset in a larger buffer. */
function roundTrip(f: ProtocolFixture): void {
  const bytes = fixtureBytes(f);
  assert.equal(isProtocolFrame(bytes), true, 'classified as protocol');
  const frame = parseFrame(bytes);
  assert.ok(frame.ok, 'parses');
  assert.equal(frame.id, f.id);
  assert.equal(frame.counter, f.counter);
  const m = decodeMessage(frame.id, frame.payload);
  assert.equal(m.name, f.name);
  assert.equal(MESSAGES[m.name].class, f.class);
  assert.equal(messageClass(f.id), f.class);
  assert.deepEqual(m.value, f.value);

  const name = f.name as MessageName;
  const value = f.value as MessageValues[MessageName];
  assert.deepEqual(encodeMessage(name, value, f.counter), bytes);
  assert.equal(encodingLength(name, value), bytes.length);

  const offset = 13;
  const big = new Uint8Array(bytes.length + 2 * offset).fill(0xaa);
  assert.equal(encodeMessageInto(name, value, f.counter, big, offset), bytes.length);
  assert.deepEqual(big.subarray(offset, offset + bytes.length), bytes);
  assert.ok(big.subarray(0, offset).every((b) => b === 0xaa) && big.subarray(offset + bytes.length).every((b) => b === 0xaa), 'nothing written outside');
}

describe('protocol fixtures round-trip', () => {
  for (const f of all) {
    it(`${f.file}: ${f.name} ${f.direction} cnt ${f.counter}`, () => roundTrip(f));
  }

  it('cover every message id of the table', () => {
    const covered = new Set(all.map((f) => f.name));
    const missing = Object.keys(MESSAGES).filter((n) => !covered.has(n));
    assert.deepEqual(missing, []);
  });

  it('captured 3.9.1 traffic includes both directions, all three classes and split parts', () => {
    const captured = loadFixtures('captured-3.9.1.json');
    assert.ok(captured.length >= 40);
    for (const cls of ['ack', 'acked', 'clm']) assert.ok(captured.some((f) => f.class === cls), cls);
    assert.ok(captured.some((f) => f.direction === 'client->server'));
    assert.ok(captured.some((f) => f.direction === 'server->client'));
    assert.ok(captured.filter((f) => f.name === 'SPECIAL_SPLIT_MESSAGE').length >= 4);
  });
});

describe('captured split messages', () => {
  for (const direction of ['client->server', 'server->client']) {
    it(`reassemble to CHAT_TEXT and re-split identically (${direction})`, () => {
      const parts = loadFixtures('captured-3.9.1.json')
        .filter((f) => f.name === 'SPECIAL_SPLIT_MESSAGE' && f.direction === direction)
        .map((f) => f.value as SplitPart)
        .sort((a, b) => a.index - b.index);
      assert.equal(parts.length, 2);
      const r = new SplitReassembler();
      assert.deepEqual(r.add(parts[0]!), { status: 'partial' });
      const done = r.add(parts[1]!);
      assert.equal(done.status, 'complete');
      if (done.status !== 'complete') return;
      assert.equal(done.id, 18);
      const chat = decodeMessage(done.id, done.payload);
      assert.equal(chat.name, 'CHAT_TEXT');
      if (chat.name !== 'CHAT_TEXT') return;
      assert.match(chat.value.text, direction === 'client->server' ? /^long: 0123456789abcdef .*end$/ : /^<font color="mediumblue">\(.*\) <b>Fixture Ann<\/b><\/font> long: 0123/);
      assert.equal(parts[0]!.data.length, 550, 'first part carries exactly 550 bytes');
      assert.deepEqual(splitPayload(18, done.payload), parts);
    });
  }
});
