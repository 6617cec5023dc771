// Hostile bytes get exact error messages, and nothing thrown escapes the receive path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildFrame,
  crc16,
  decodeMessage,
  encodeMessage,
  isProtocolFrame,
  parseFrame,
  ProtocolError,
  ProtocolLink,
  SplitReassembler,
} from '../../appliance/src/protocol/index.js';
import { fixtureBytes, loadFixtures } from '../fixtures/protocol/load.js';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/[^0-9a-f]/gi, ''), 'hex'));
const clientId = hex('00 00 20 00 00 01 00 00 f9 cc');

function frameError(bytes: Uint8Array): string {
  const f = parseFrame(bytes);
  assert.equal(f.ok, false);
  assert.equal(isProtocolFrame(bytes), false, 'a rejected frame is audio');
  return f.ok ? '' : `${f.reason}: ${f.error}`;
}

function decodeError(id: number, payload: Uint8Array): string {
  try {
    decodeMessage(id, payload);
  } catch (e) {
    assert.ok(e instanceof ProtocolError);
    return e.message;
  }
  assert.fail('decoded without error');
}

describe('CRC', () => {
  it('is CRC-16/GENIBUS: check value 0xD64E', () => {
    assert.equal(crc16(new TextEncoder().encode('123456789')), 0xd64e);
  });
});

describe('frame errors', () => {
  it('too short', () => {
    assert.equal(frameError(clientId.subarray(0, 8)), 'too-short: frame too short: 8 bytes, minimum is 9');
    assert.equal(frameError(new Uint8Array(0)), 'too-short: frame too short: 0 bytes, minimum is 9');
  });
  it('non-zero tag', () => {
    const b = clientId.slice();
    b[1] = 1;
    assert.equal(frameError(b), 'nonzero-tag: non-zero tag 0x0100');
  });
  it('length field does not match', () => {
    const b = clientId.slice();
    b[5] = 2;
    assert.equal(frameError(b), 'length-mismatch: length field says 2 payload bytes but the frame carries 1');
    assert.equal(frameError(clientId.subarray(0, 9)), 'length-mismatch: length field says 1 payload bytes but the frame carries 0');
  });
  it('bad CRC', () => {
    const b = clientId.slice();
    b[9] = b[9]! ^ 0xff;
    assert.equal(frameError(b), 'bad-crc: bad CRC: frame carries 0x33f9, computed 0xccf9');
  });
  it('honours an explicit length shorter than the buffer', () => {
    const b = new Uint8Array(64);
    b.set(clientId);
    assert.equal(isProtocolFrame(b, clientId.length), true);
    assert.equal(parseFrame(b).ok, false);
  });
});

describe('payload errors', () => {
  it('fixed-size payload too short / too long', () => {
    assert.equal(decodeError(13, hex('00 00')), 'CHANNEL_GAIN.gain: need 2 bytes at offset 1, have 1');
    assert.equal(decodeError(13, hex('00 00 00 00')), 'CHANNEL_GAIN: 1 unexpected byte after offset 3');
    assert.equal(decodeError(1001, hex('01 02 03')), 'CLM_PING_MS.timeMs: need 4 bytes at offset 0, have 3');
    assert.equal(decodeError(20, new Uint8Array(18)), 'NETW_TRANSPORT_PROPS.frameBytes: value 0 outside 10..20000');
    assert.equal(decodeError(32, new Uint8Array(0)), 'CLIENT_ID.channelId: need 1 byte at offset 0, have 0');
  });
  it('over-long strings (name of 17 chars)', () => {
    const name17 = 'x'.repeat(17);
    const payload = hex(`0000 00000000 00 1100 ${Buffer.from(name17).toString('hex')} 0000`);
    assert.equal(decodeError(25, payload), 'CHANNEL_INFOS.name: string of 17 UTF-16 code units exceeds the limit of 16');
    assert.throws(
      () => encodeMessage('CHANNEL_INFOS', { country: 0, instrument: 0, skill: 0, name: name17, city: '' }),
      { name: 'ProtocolError', message: 'CHANNEL_INFOS.name: string of 17 UTF-16 code units exceeds the limit of 16' },
    );
    // 16 characters of 3 UTF-8 bytes each are fine: the limit is in code units, not bytes.
    const wide = '♪'.repeat(16);
    const m = decodeMessage(25, encodeMessage('CHANNEL_INFOS', { country: 0, instrument: 0, skill: 0, name: wide, city: '' }).subarray(7, -2));
    assert.equal(m.name === 'CHANNEL_INFOS' && m.value.name, wide);
  });
  it('string length beyond the payload', () => {
    assert.equal(decodeError(18, hex('0500 6869')), 'CHAT_TEXT.text: need 5 bytes at offset 2, have 2');
  });
  it('invalid UTF-8', () => {
    assert.equal(decodeError(18, hex('0200 c328')), 'CHAT_TEXT.text: invalid UTF-8 in 2-byte string at offset 2');
    assert.equal(
      decodeError(24, hex('00 0000 00000000 00 00000000 0100 ff 0000')),
      'CONN_CLIENTS_LIST.clients[0].name: invalid UTF-8 in 1-byte string at offset 14',
    );
  });
  it('truncated list entry and enumerations', () => {
    assert.equal(decodeError(24, hex('00 0000 00000000 00')), 'CONN_CLIENTS_LIST.clients[0].retiredAddress: need 4 bytes at offset 8, have 0');
    assert.equal(decodeError(10, hex('1600')), 'JITT_BUF_SIZE.blocks: value 22 outside 1..21');
    assert.equal(decodeError(33, hex('00')), 'RECORDER_STATE.state: value 0 is not one of 1, 2, 3');
    assert.equal(decodeError(1016, hex('04')), 'CLM_REGISTER_SERVER_RESP.result: value 4 is not one of 0, 1, 2, 3');
  });
  it('unknown ids', () => {
    assert.equal(decodeError(99, new Uint8Array(0)), 'unknown message id 99');
    assert.equal(decodeError(1500, new Uint8Array(0)), 'unknown message id 1500');
  });
  it('level list over 150 entries', () => {
    assert.equal(decodeError(1015, new Uint8Array(76)), 'CLM_CHANNEL_LEVEL_LIST.levels: list of 152 entries exceeds the limit of 150');
  });
});

describe('split reassembly errors', () => {
  const part = (index: number, parts: number, n = 550, originalId = 18) => ({ originalId, parts, index, data: new Uint8Array(n) });
  it('oversized split set', () => {
    assert.deepEqual(new SplitReassembler().add(part(0, 37)), { status: 'error', error: 'split set of 37 parts exceeds the limit of 36' });
  });
  it('index not below the part count', () => {
    assert.deepEqual(new SplitReassembler().add(part(2, 2)), { status: 'error', error: 'split part index 2 is not below the part count 2' });
  });
  it('out-of-order parts reset the state', () => {
    const r = new SplitReassembler();
    assert.equal(r.add(part(0, 3)).status, 'partial');
    assert.deepEqual(r.add(part(2, 3)), { status: 'error', error: 'split part 2 out of order, expected 1' });
    assert.equal(r.expectedIndex, 0);
    assert.deepEqual(r.add(part(1, 3)), { status: 'error', error: 'split part 1 out of order, expected 0' });
  });
  it('a split message may only carry acknowledged ids', () => {
    assert.deepEqual(new SplitReassembler().add(part(0, 1, 4, 1001)), { status: 'error', error: 'split message cannot carry id 1001' });
    assert.deepEqual(new SplitReassembler().add(part(0, 1, 4, 2001)), { status: 'error', error: 'split message cannot carry id 2001' });
  });
  it('more data than the receive buffer', () => {
    const r = new SplitReassembler();
    for (let i = 0; i < 9; i++) assert.equal(r.add(part(i, 10, 2100)).status, 'partial');
    assert.deepEqual(r.add(part(9, 10, 2100)), { status: 'error', error: 'split message exceeds 20000 bytes' });
  });
});

describe('unknown ids through a link', () => {
  it('acked unknown id: ACKed, counted, not delivered; clm unknown id: ignored, counted', () => {
    const sent: Uint8Array[] = [];
    const got: string[] = [];
    const link = new ProtocolLink({ send: (b) => sent.push(b), onMessage: (m) => got.push(m.name) });
    link.receive(buildFrame(99, 5, new Uint8Array([1, 2])), 0);
    assert.deepEqual(sent, [encodeMessage('ACKN', { ackedId: 99 }, 5)]);
    link.receive(buildFrame(1500, 0, new Uint8Array(0)), 0);
    assert.equal(sent.length, 1, 'connection-less: no ACK');
    assert.deepEqual(got, []);
    assert.equal(link.stats.drops['unknown-id'], 2);
    assert.equal(link.stats.lastError, 'unknown message id 1500');
  });
  it('invalid payload of an acked message is still ACKed', () => {
    const sent: Uint8Array[] = [];
    const link = new ProtocolLink({ send: (b) => sent.push(b), onMessage: () => assert.fail('delivered') });
    link.receive(buildFrame(13, 7, new Uint8Array(2)), 0);
    assert.deepEqual(sent, [encodeMessage('ACKN', { ackedId: 13 }, 7)]);
    assert.equal(link.stats.drops['invalid-payload'], 1);
    assert.equal(link.stats.lastError, 'CHANNEL_GAIN.gain: need 2 bytes at offset 1, have 1');
  });
});

describe('fuzz', () => {
  it('100k random mutations of fixture frames never throw out of parseFrame, decodeMessage or ProtocolLink.receive', () => {
    const seeds = [...loadFixtures('captured-3.9.1.json'), ...loadFixtures('handmade.json')].map(fixtureBytes);
    let state = 0x12345678;
    const rand = (n: number): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    let sent = 0;
    const link = new ProtocolLink({ send: () => sent++, onMessage: () => {} });
    let decoded = 0;
    for (let i = 0; i < 100_000; i++) {
      const seed = seeds[rand(seeds.length)]!;
      let b = seed.slice();
      const kind = rand(4);
      if (kind === 0) b[rand(b.length)] = rand(256);
      else if (kind === 1) b = b.subarray(0, rand(b.length + 1));
      else if (kind === 2) {
        for (let k = 0; k < 4; k++) {
          const at = rand(b.length);
          b[at] = b[at]! ^ (1 << rand(8));
        }
      }
      else {
        // Mutate the payload but keep the frame valid, so the decoders see the hostile bytes.
        if (b.length > 9) b[7 + rand(b.length - 9)] = rand(256);
        if (rand(2)) b[6] = 0;
        b = b.subarray(0, Math.max(9, 9 + (b[5]! | (b[6]! << 8)) - rand(2)));
        const n = b.length - 9;
        b[5] = n & 0xff;
        b[6] = n >> 8;
        const c = crc16(b, 0, b.length - 2);
        b[b.length - 2] = c & 0xff;
        b[b.length - 1] = c >> 8;
      }
      const f = parseFrame(b);
      if (f.ok) {
        try {
          decodeMessage(f.id, f.payload);
          decoded++;
        } catch (e) {
          assert.ok(e instanceof ProtocolError, `only ProtocolError may be thrown, got ${String(e)}`);
        }
      }
      link.receive(b, i);
      link.poll(i);
    }
    assert.ok(decoded > 1000, `some mutations stay valid (${decoded})`);
    const drops = Object.values(link.stats.drops).reduce((a, v) => a + v, 0);
    assert.ok(drops > 10_000, `drops counted (${drops})`);
    assert.equal(link.stats.framesIn, 100_000);
    assert.ok(sent > 0);
  });
});
