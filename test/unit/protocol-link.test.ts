// ProtocolLink: reliable delivery, dedupe, ACK matching, split negotiation and round trip, reset.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assembleAudioPacket,
  audioPacketBytes,
  encodeMessage,
  formatFromProps,
  parseFrame,
  propsFromFormat,
  ProtocolLink,
  splitAudioPacket,
  type ReceivedMessage,
} from '../../appliance/src/protocol/index.js';

function makeLink(opts: { answerSplitRequest?: boolean } = {}) {
  const sent: Uint8Array[] = [];
  const got: ReceivedMessage[] = [];
  const link = new ProtocolLink({ send: (b) => sent.push(b), onMessage: (m) => got.push(m), ...opts });
  return { link, sent, got };
}
const head = (b: Uint8Array) => {
  const f = parseFrame(b);
  assert.ok(f.ok);
  return { id: f.id, counter: f.counter };
};

describe('ProtocolLink sender', () => {
  it('only the head is in flight; it is retransmitted every 400 ms with the same counter, forever', () => {
    const { link, sent } = makeLink();
    link.sendMessage('CLIENT_ID', { channelId: 3 }, 1000);
    link.sendMessage('REQ_SPLIT_MESS_SUPPORT', {}, 1000);
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0], encodeMessage('CLIENT_ID', { channelId: 3 }, 0));
    link.poll(1399);
    assert.equal(sent.length, 1);
    for (let k = 1; k <= 20; k++) link.poll(1000 + 400 * k);
    assert.equal(sent.length, 21);
    assert.ok(sent.every((b) => Buffer.from(b).equals(Buffer.from(sent[0]!))));
    assert.equal(link.stats.retransmits, 20);
    assert.equal(link.queued, 2);
  });

  it('an ACK matching (counter, id) releases the next message at once; mismatches are ignored', () => {
    const { link, sent } = makeLink();
    link.sendMessage('CLIENT_ID', { channelId: 0 }, 0);
    link.sendMessage('REQ_JITT_BUF_SIZE', {}, 0);
    link.receive(encodeMessage('ACKN', { ackedId: 32 }, 1), 10); // wrong counter
    link.receive(encodeMessage('ACKN', { ackedId: 11 }, 0), 10); // wrong id
    assert.equal(sent.length, 1);
    assert.equal(link.stats.acksIgnored, 2);
    link.receive(encodeMessage('ACKN', { ackedId: 32 }, 0), 20);
    assert.equal(sent.length, 2);
    assert.deepEqual(head(sent[1]!), { id: 11, counter: 1 });
    link.poll(419);
    assert.equal(sent.length, 2, 'the retransmit timer restarted when the next head went out');
    link.poll(420);
    assert.equal(sent.length, 3);
    link.receive(encodeMessage('ACKN', { ackedId: 11 }, 1), 500);
    assert.equal(link.queued, 0);
    link.poll(5000);
    assert.equal(sent.length, 3);
  });

  it('connection-less messages bypass the queue', () => {
    const { link, sent } = makeLink();
    link.sendMessage('CLIENT_ID', { channelId: 0 }, 0);
    link.sendClm('CLM_PING_MS', { timeMs: 5 });
    assert.equal(sent.length, 2);
    assert.deepEqual(sent[1], encodeMessage('CLM_PING_MS', { timeMs: 5 }));
  });

  it('counters wrap at 256', () => {
    const { link, sent } = makeLink();
    for (let i = 0; i < 257; i++) {
      link.sendMessage('REQ_JITT_BUF_SIZE', {}, i);
      const h = head(sent.at(-1)!);
      assert.equal(h.counter, i & 0xff);
      link.receive(encodeMessage('ACKN', { ackedId: 11 }, h.counter), i);
    }
  });
});

describe('ProtocolLink receiver', () => {
  it('ACKs every acknowledged message; a repeat of the last (id, counter) is ACKed but not delivered again', () => {
    const { link, sent, got } = makeLink();
    const chat = encodeMessage('CHAT_TEXT', { text: 'hi' }, 4);
    link.receive(chat, 0);
    link.receive(chat, 1);
    assert.equal(got.length, 1);
    assert.deepEqual(got[0], { name: 'CHAT_TEXT', id: 18, value: { text: 'hi' }, counter: 4 });
    assert.deepEqual(sent, [encodeMessage('ACKN', { ackedId: 18 }, 4), encodeMessage('ACKN', { ackedId: 18 }, 4)]);
    assert.equal(link.stats.duplicates, 1);
    // Same counter, different id: new message.
    link.receive(encodeMessage('REQ_JITT_BUF_SIZE', {}, 4), 2);
    assert.equal(got.length, 2);
  });

  it('connection-less messages are delivered without ACK and without dedupe', () => {
    const { link, sent, got } = makeLink();
    link.receive(encodeMessage('CLM_PING_MS', { timeMs: 9 }), 0);
    link.receive(encodeMessage('CLM_PING_MS', { timeMs: 9 }), 0);
    assert.equal(got.length, 2);
    assert.equal(sent.length, 0);
  });

  it('a throwing handler is counted and the ACK still goes out', () => {
    const sent: Uint8Array[] = [];
    const link = new ProtocolLink({ send: (b) => sent.push(b), onMessage: () => { throw new Error('boom'); } });
    link.receive(encodeMessage('CLIENT_ID', { channelId: 1 }, 0), 0);
    assert.equal(sent.length, 1);
    assert.equal(link.stats.drops['handler-error'], 1);
    assert.equal(link.stats.lastError, 'CLIENT_ID handler: boom');
  });
});

describe('ProtocolLink split messages', () => {
  it('negotiates, splits > 550 bytes into parts with their own counters, and reassembles on the other side', () => {
    const server = makeLink();
    const client = makeLink();
    const now = 0;
    // Wire the two links together: everything one sends, the other receives.
    const pump = () => {
      for (let moved = true; moved; ) {
        moved = false;
        for (const [from, to] of [[server, client], [client, server]] as const) {
          while (from.sent.length) {
            to.link.receive(from.sent.shift()!, now);
            moved = true;
          }
        }
      }
    };
    server.link.sendMessage('REQ_SPLIT_MESS_SUPPORT', {}, now);
    pump();
    assert.equal(client.link.splitEnabled, true, 'client enables splitting on the request');
    assert.equal(server.link.splitEnabled, true, 'server enables it on SPLIT_MESS_SUPPORTED');
    assert.deepEqual(server.got.map((m) => m.name), ['SPLIT_MESS_SUPPORTED']);

    const text = 'ä'.repeat(700); // 1400 UTF-8 bytes + 2 length bytes -> 3 parts
    const frames: Uint8Array[] = [];
    const tap = new ProtocolLink({ send: (b) => frames.push(b), onMessage: () => {} });
    tap.splitEnabled = true;
    tap.sendMessage('CHAT_TEXT', { text }, 0);
    assert.equal(tap.queued, 3);
    assert.deepEqual(head(frames[0]!), { id: 2001, counter: 0 });

    server.link.sendMessage('CHAT_TEXT', { text }, now);
    for (let i = 0; i < 3; i++) {
      const h = head(server.sent[0]!);
      assert.equal(h.id, 2001);
      assert.equal(h.counter, 1 + i, 'each part has its own counter');
      assert.equal(server.sent.length, 1, 'one part in flight');
      client.link.receive(server.sent.shift()!, now);
      const ack = client.sent.shift()!;
      assert.deepEqual(ack, encodeMessage('ACKN', { ackedId: 2001 }, h.counter));
      server.link.receive(ack, now);
    }
    const chats = client.got.filter((m) => m.name === 'CHAT_TEXT');
    assert.equal(chats.length, 1);
    assert.equal(chats[0]!.name === 'CHAT_TEXT' && chats[0]!.value.text, text);
  });

  it('without negotiation long messages go out whole', () => {
    const { link, sent } = makeLink();
    link.sendMessage('CHAT_TEXT', { text: 'x'.repeat(1000) }, 0);
    assert.equal(head(sent[0]!).id, 18);
    assert.equal(sent[0]!.length, 9 + 1002);
  });

  it('answerSplitRequest: false leaves splitting off but still delivers the request', () => {
    const { link, sent, got } = makeLink({ answerSplitRequest: false });
    link.receive(encodeMessage('REQ_SPLIT_MESS_SUPPORT', {}, 0), 0);
    assert.equal(link.splitEnabled, false);
    assert.equal(sent.length, 1, 'only the ACK');
    assert.equal(got[0]!.name, 'REQ_SPLIT_MESS_SUPPORT');
  });
});

describe('ProtocolLink unpredictable counters and ACK outcomes', () => {
  it('with unpredictableCounters each new counter is random and differs from the one before; a peer link takes them all', () => {
    const { link, sent } = makeLink();
    const peer = makeLink();
    link.unpredictableCounters = true;
    const counters: number[] = [];
    for (let i = 0; i < 300; i++) {
      link.sendMessage('CONN_CLIENTS_LIST', { clients: [] }, i);
      const h = head(sent[sent.length - 1]!);
      counters.push(h.counter);
      peer.link.receive(sent[sent.length - 1]!, i);
      // The peer ACKs; feeding its ACK back releases the head.
      link.receive(peer.sent[peer.sent.length - 1]!, i);
    }
    for (let i = 1; i < counters.length; i++) assert.notEqual(counters[i], counters[i - 1]);
    assert.ok(new Set(counters).size > 150, `only ${new Set(counters).size} distinct counters in 300`);
    assert.equal(peer.got.length, 300, 'same id, different counters: every message delivered, none taken for a repeat');
    assert.equal(link.queued, 0);
  });

  it('onAck tells a matching ACK, a repeat of a recent one and one for something never sent', () => {
    const outcomes: string[] = [];
    const sent: Uint8Array[] = [];
    const link = new ProtocolLink({ send: (b) => sent.push(b), onMessage: () => {}, onAck: (o) => outcomes.push(o) });
    link.sendMessage('CLIENT_ID', { channelId: 0 }, 0);
    link.sendMessage('REQ_JITT_BUF_SIZE', {}, 0);
    link.receive(encodeMessage('ACKN', { ackedId: 32 }, 0), 1);
    link.receive(encodeMessage('ACKN', { ackedId: 32 }, 0), 2); // the peer answered a retransmission too
    link.receive(encodeMessage('ACKN', { ackedId: 11 }, 7), 3); // never sent with counter 7
    assert.deepEqual(outcomes, ['matched', 'repeat', 'unexpected']);
  });

  it('isRepeat is true exactly for what receive() would only ACK again', () => {
    const { link } = makeLink();
    const m = encodeMessage('CHAT_TEXT', { text: 'hi' }, 4);
    const f = parseFrame(m);
    assert.ok(f.ok);
    assert.equal(link.isRepeat(f), false);
    link.receive(m, 0);
    assert.equal(link.isRepeat(f), true);
  });
});

describe('ProtocolLink reset', () => {
  it('clears queue, counters, last received pair and split state', () => {
    const { link, sent, got } = makeLink();
    link.receive(encodeMessage('REQ_SPLIT_MESS_SUPPORT', {}, 0), 0);
    link.sendMessage('CHANNEL_INFOS', { country: 0, instrument: 0, skill: 0, name: 'a', city: '' }, 0);
    assert.equal(link.queued, 2);
    link.reset();
    assert.equal(link.queued, 0);
    assert.equal(link.splitEnabled, false);
    sent.length = 0;
    link.poll(10_000);
    assert.equal(sent.length, 0, 'nothing left to retransmit');
    link.sendMessage('CLIENT_ID', { channelId: 0 }, 0);
    assert.equal(head(sent[0]!).counter, 0, 'counter restarts at 0');
    // The last received pair is forgotten: (34, 0) is new again.
    link.receive(encodeMessage('REQ_SPLIT_MESS_SUPPORT', {}, 0), 0);
    assert.equal(got.length, 2);
  });
});

describe('audio format', () => {
  it('follows NETW_TRANSPORT_PROPS and assembles/splits datagrams in place', () => {
    const fmt = formatFromProps({ frameBytes: 46, factor: 2, channels: 1, sampleRate: 48000, codec: 2, flags: 1, codecArg: 0 });
    assert.deepEqual(fmt, { codec: 2, frameSamples: 128, channels: 1, codedBytes: 45, factor: 2, sequence: true });
    assert.equal(audioPacketBytes(fmt), 92);
    assert.deepEqual(propsFromFormat(fmt), { frameBytes: 46, factor: 2, channels: 1, sampleRate: 48000, codec: 2, flags: 1, codecArg: 0 });
    const coded = Uint8Array.from({ length: 90 }, (_, i) => i);
    const out = new Uint8Array(92);
    assert.equal(assembleAudioPacket(fmt, coded, 255, out), 1);
    assert.equal(out[45], 255);
    assert.equal(out[91], 0);
    const back = new Uint8Array(90);
    const seqs = new Uint8Array(2);
    assert.equal(splitAudioPacket(fmt, out, 92, back, seqs), true);
    assert.deepEqual(back, coded);
    assert.deepEqual([...seqs], [255, 0]);
    assert.equal(splitAudioPacket(fmt, out, 91, back, seqs), false);
    const noSeq = formatFromProps({ frameBytes: 22, factor: 1, channels: 2, sampleRate: 48000, codec: 3, flags: 0, codecArg: 0 });
    assert.equal(noSeq.frameSamples, 64);
    assert.equal(audioPacketBytes(noSeq), 22);
  });
});
