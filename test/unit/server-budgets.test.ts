// The server's budgets (token-buckets.ts) and its send path's priorities (send-guard.ts), with fixed clocks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket, SourceBuckets, ReplyBudget } from '../../appliance/src/server/token-buckets.js';
import { SendGuard, type DatagramSink, type SendRefusal } from '../../appliance/src/server/send-guard.js';
import { Channel } from '../../appliance/src/server/channel.js';
import { ProtocolLink } from '../../appliance/src/protocol/index.js';

describe('TokenBucket', () => {
  it('starts full, refuses what it does not hold, refills at its rate up to the burst', () => {
    const b = new TokenBucket({ burst: 10, perSecond: 5 }, 0);
    assert.equal(b.take(10, 0), true);
    assert.equal(b.take(1, 0), false);
    assert.equal(b.take(1, 199), false, '0.995 tokens after 199 ms');
    assert.equal(b.take(1, 200), true);
    assert.equal(b.holds(10, 100_000), true, 'capped at the burst');
    assert.equal(b.holds(11, 100_000), false);
  });
});

describe('SourceBuckets', () => {
  it('keeps a bucket per source', () => {
    const s = new SourceBuckets({ burst: 2, perSecond: 1 }, 4096);
    assert.equal(s.take(1, 2, 0), true);
    assert.equal(s.take(1, 1, 0), false);
    assert.equal(s.take(2, 2, 0), true, 'another source has its own');
  });

  it('a slot in debt is shared with whoever hashes there; an idle one changes hands', () => {
    // One slot: every source lands on it.
    const s = new SourceBuckets({ burst: 4, perSecond: 1 }, 1);
    assert.equal(s.take(10, 4, 0), true);
    assert.equal(s.take(11, 1, 0), false, "a newcomer cannot clear the flooder's debt");
    assert.equal(s.take(11, 4, 4000), true, 'refilled: the slot went to the newcomer with a full bucket');
  });
});

describe('ReplyBudget', () => {
  it('charges both budgets or neither, and says which refused', () => {
    const r = new ReplyBudget({ burst: 100, perSecond: 0 }, { burst: 150, perSecond: 0 }, 64, 0);
    assert.equal(r.take(1, 100, 0), 'ok');
    assert.equal(r.take(1, 1, 0), 'source');
    assert.equal(r.take(2, 60, 0), 'global', 'only 50 left globally');
    assert.equal(r.take(2, 50, 0), 'ok', 'the refusal took nothing');
  });
});

/** A sink like the native socket's queue, without sending. */
class CountingSink implements DatagramSink {
  queued = 0;
  constructor(readonly sendQueueLength: number) {}
  queue(): boolean {
    if (this.queued === this.sendQueueLength) return false;
    this.queued++;
    return true;
  }
  flush(): number {
    const n = this.queued;
    this.queued = 0;
    return n;
  }
  peerId(): number {
    return 1;
  }
  peerAddress(): string {
    return '127.0.0.1';
  }
}
const sink = (length: number): CountingSink => new CountingSink(length);

describe('SendGuard', () => {
  it('leaves one tick of audio for every client free of everything else', () => {
    const out = sink(2 * 10 + 5);
    const refused: SendRefusal[] = [];
    const g = new SendGuard(out, 10, 0, (r) => refused.push(r));
    const d = new Uint8Array(9);
    for (let i = 0; i < 8; i++) g.control(d, 1, 1);
    assert.equal(out.queued, 5);
    assert.deepEqual(refused, ['control-yields-to-audio', 'control-yields-to-audio', 'control-yields-to-audio']);
    for (let i = 0; i < 20; i++) g.audio(d, 9, 1, 1);
    assert.equal(out.queued, 25);
    assert.equal(refused.length, 3, 'all 20 audio datagrams found room');
  });

  it('sends a channel on probation no more bytes than it sent', () => {
    const out = sink(256);
    const refused: SendRefusal[] = [];
    const g = new SendGuard(out, 10, 0, (r) => refused.push(r));
    const ch = new Channel(0, 1, '0.0.0.1', 1, 0, () => new ProtocolLink({ send: () => {}, onMessage: () => {} }));
    ch.bytesIn = 46 + 28;
    g.toChannel(ch, new Uint8Array(10));
    g.toChannel(ch, new Uint8Array(10));
    assert.equal(out.queued, 1, '38 of 74 bytes used, a second 38 would exceed it');
    assert.deepEqual(refused, ['probation-budget']);
    ch.confirmed = true;
    g.toChannel(ch, new Uint8Array(10));
    assert.equal(out.queued, 2, 'no limit once confirmed');
  });
});
