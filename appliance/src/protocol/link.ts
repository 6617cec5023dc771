// One peer's protocol state (§2.1, §1.7): the acknowledged sender FIFO with only its head in flight, the
// receiver's duplicate filter and ACKs, split reassembly and the split flag. Used by the server (one per
// channel) and by the client (one for its server). It owns no timer and no socket: the owner calls
// poll(nowMs) from its tick and passes a send callback bound to the peer's address.
import { randomFillSync } from 'node:crypto';
import { RETRANSMIT_MS, SPLIT_PART_BYTES } from './constants.js';
import { ProtocolError } from './errors.js';
import { buildFrame, parseFrame, type Frame, type FrameErrorReason } from './frame.js';
import {
  decodeMessage,
  encodeMessage,
  encodePayload,
  MESSAGE_IDS,
  messageClass,
  messageName,
  type AckedMessageName,
  type ClmMessageName,
  type Message,
  type MessageValues,
} from './messages.js';
import { splitPayload, SplitReassembler } from './split.js';

/** A delivered message with the counter of the frame that carried it (last part's counter for split ones). */
export type ReceivedMessage = Message & { counter: number };

export type DropReason =
  | FrameErrorReason
  /** An id that is not in the message table (acked ones are still ACKed). */
  | 'unknown-id'
  /** Payload failed to decode (wrong size, bad string, value out of range); ACKed if acknowledged. */
  | 'invalid-payload'
  /** A split part that broke the reassembly rules. */
  | 'split'
  /** The onMessage handler threw; the exception is counted, not propagated. */
  | 'handler-error'
  /** sendMessage while maxQueued messages await their ACK. */
  | 'queue-full';

/**
 * What an incoming ACK meant: it released the head in flight ('matched'), it repeats one of the last few ACKs
 * that did ('repeat': the peer answered a retransmission too), or it acknowledges nothing we sent ('unexpected').
 */
export type AckOutcome = 'matched' | 'repeat' | 'unexpected';

export interface LinkStats {
  framesIn: number;
  framesOut: number;
  delivered: number;
  duplicates: number;
  acksSent: number;
  acksMatched: number;
  /** ACKs whose (counter, id) did not match the head in flight. */
  acksIgnored: number;
  retransmits: number;
  drops: Record<DropReason, number>;
  /** Text of the most recent drop, for logs and status pages. */
  lastError: string | null;
}

export interface ProtocolLinkOptions {
  /** Sends one datagram to this link's peer. */
  send(bytes: Uint8Array): void;
  /** Called for every newly received, valid message (acknowledged or connection-less). */
  onMessage(message: ReceivedMessage): void;
  /** Called for every dropped frame or message, after it has been counted. */
  onDrop?(reason: DropReason, error: string): void;
  /** Answer REQ_SPLIT_MESS_SUPPORT with SPLIT_MESS_SUPPORTED and split own long messages (default true). */
  answerSplitRequest?: boolean;
  /** Retransmit period of the head (default 400 ms, SEND_MESS_TIMEOUT_MS). */
  retransmitMs?: number;
  /** Most messages awaiting ACK before new ones are dropped (default 512); bounds memory for a dead peer. */
  maxQueued?: number;
  /** Called after every ACK has been handled, with what it meant. */
  onAck?(outcome: AckOutcome): void;
}

interface Pending {
  id: number;
  counter: number;
  bytes: Uint8Array;
  sentAt: number;
}

const newDrops = (): Record<DropReason, number> => ({
  'too-short': 0,
  'nonzero-tag': 0,
  'length-mismatch': 0,
  'bad-crc': 0,
  'unknown-id': 0,
  'invalid-payload': 0,
  split: 0,
  'handler-error': 0,
  'queue-full': 0,
});

const SPLIT_ID = MESSAGE_IDS.SPECIAL_SPLIT_MESSAGE;
/** ACKs that matched, remembered to tell a peer's repeated ACK from one for something never sent. */
const RECENT_ACKS = 4;

// Random counter values come from a pool refilled in one call, so drawing one allocates nothing.
const randomPool = new Uint8Array(256);
let randomAt = randomPool.length;
function randomByte(): number {
  if (randomAt === randomPool.length) {
    randomFillSync(randomPool);
    randomAt = 0;
  }
  return randomPool[randomAt++]!;
}

export class ProtocolLink {
  readonly stats: LinkStats = {
    framesIn: 0,
    framesOut: 0,
    delivered: 0,
    duplicates: 0,
    acksSent: 0,
    acksMatched: 0,
    acksIgnored: 0,
    retransmits: 0,
    drops: newDrops(),
    lastError: null,
  };

  /** Whether own acknowledged messages over 550 payload bytes are split (negotiated, see §1.7). */
  splitEnabled = false;

  /**
   * Draw each new message's counter at random (never equal to the previous one) instead of counting up.
   * Receivers only compare a message's (id, counter) with the previous one to spot retransmissions (§2.1), so
   * any sequence of distinct neighbours is valid; an unpredictable one means an ACK proves that the peer
   * really received the message, which a sender with a forged source address cannot.
   */
  unpredictableCounters = false;

  private readonly queue: Pending[] = [];
  private nextCounter = 0;
  private lastId = 0;
  private lastCounter = 0;
  private lastSentCounter = -1;
  private readonly recentAcks = new Int32Array(RECENT_ACKS).fill(-1);
  private recentAckAt = 0;
  private readonly reassembler = new SplitReassembler();
  private readonly retransmitMs: number;
  private readonly maxQueued: number;

  constructor(private readonly opts: ProtocolLinkOptions) {
    this.retransmitMs = opts.retransmitMs ?? RETRANSMIT_MS;
    this.maxQueued = opts.maxQueued ?? 512;
  }

  /** Acknowledged messages waiting for their ACK, the head included. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Queues an acknowledged message (split into parts when splitEnabled and the payload is > 550 bytes).
   * Sends it at once when nothing else is in flight. Throws ProtocolError if the value cannot be encoded —
   * that is a bug in the caller, never peer input.
   */
  sendMessage<N extends AckedMessageName>(name: N, value: MessageValues[N], nowMs: number): void {
    const payload = encodePayload(name, value);
    const id = MESSAGE_IDS[name];
    const wasIdle = this.queue.length === 0;
    if (this.splitEnabled && payload.length > SPLIT_PART_BYTES) {
      const parts = splitPayload(id, payload);
      if (this.queue.length + parts.length > this.maxQueued) return this.drop('queue-full', `${name}: send queue full`);
      for (const part of parts) this.enqueue(SPLIT_ID, encodeMessage('SPECIAL_SPLIT_MESSAGE', part, this.takeCounter()));
    } else {
      if (this.queue.length >= this.maxQueued) return this.drop('queue-full', `${name}: send queue full`);
      this.enqueue(id, buildFrame(id, this.takeCounter(), payload));
    }
    if (wasIdle) this.transmitHead(nowMs);
  }

  /** Sends a connection-less message to this peer immediately (no queue, no ACK, counter 0). */
  sendClm<N extends ClmMessageName>(name: N, value: MessageValues[N]): void {
    this.output(encodeMessage(name, value, 0));
  }

  /** Retransmits the head if it has waited retransmitMs without its ACK. Call regularly (every tick is fine). */
  poll(nowMs: number): void {
    const head = this.queue[0];
    if (head && nowMs - head.sentAt >= this.retransmitMs) {
      this.stats.retransmits++;
      this.transmitHead(nowMs);
    }
  }

  /**
   * Handles one datagram the owner classified as protocol (see isProtocolFrame). Never throws: bad input is
   * counted in stats.drops and reported to onDrop.
   */
  receive(datagram: Uint8Array, nowMs: number, length = datagram.length): void {
    this.stats.framesIn++;
    const f = parseFrame(datagram, length);
    if (!f.ok) return this.drop(f.reason, f.error);
    this.receiveFrame(f, nowMs);
  }

  /** Like receive() for a frame the owner already parsed (avoids a second CRC pass). Never throws. */
  receiveFrame(f: Frame, nowMs: number): void {
    const cls = messageClass(f.id);
    if (cls === 'clm') {
      // Unknown connection-less ids are ignored silently by the reference; we still count them.
      this.deliver(f.id, f.payload, f.counter, nowMs);
      return;
    }
    if (cls === 'ack') return this.receiveAck(f, nowMs);

    if (f.id === this.lastId && f.counter === this.lastCounter) {
      this.stats.duplicates++;
      this.sendAck(f.id, f.counter);
      return;
    }
    // ACK before processing: a handler that throws or resets the link must not suppress it, and the
    // (id, counter) pair is remembered first so a reset() inside the handler clears it.
    this.sendAck(f.id, f.counter);
    this.lastId = f.id;
    this.lastCounter = f.counter;

    if (f.id !== SPLIT_ID) {
      this.reassembler.reset();
      this.deliver(f.id, f.payload, f.counter, nowMs);
      return;
    }
    let part: MessageValues['SPECIAL_SPLIT_MESSAGE'];
    try {
      const m = decodeMessage(f.id, f.payload);
      part = (m as Extract<Message, { name: 'SPECIAL_SPLIT_MESSAGE' }>).value;
    } catch (e) {
      this.reassembler.reset();
      return this.drop('invalid-payload', errorText(e));
    }
    const r = this.reassembler.add(part);
    if (r.status === 'error') return this.drop('split', r.error);
    if (r.status === 'complete') this.deliver(r.id, r.payload, f.counter, nowMs);
  }

  /**
   * Whether receiveFrame() would take `f` for a retransmission of the last message (ACK it again, not deliver
   * it): an owner that rations what it processes lets these through, since they cost one ACK and nothing else.
   */
  isRepeat(f: Frame): boolean {
    return f.id === this.lastId && f.counter === this.lastCounter;
  }

  /** Forgets everything but the stats: queue, counters, last received pair, split state and flag. */
  reset(): void {
    this.queue.length = 0;
    this.nextCounter = 0;
    this.lastSentCounter = -1;
    this.recentAcks.fill(-1);
    this.lastId = 0;
    this.lastCounter = 0;
    this.reassembler.reset();
    this.splitEnabled = false;
  }

  private receiveAck(f: Frame, nowMs: number): void {
    if (f.payload.length !== 2) {
      return this.drop('invalid-payload', `ACKN: payload of ${f.payload.length} bytes, expected 2`);
    }
    const ackedId = f.payload[0]! | (f.payload[1]! << 8);
    const head = this.queue[0];
    let outcome: AckOutcome;
    if (head && head.counter === f.counter && head.id === ackedId) {
      this.stats.acksMatched++;
      this.queue.shift();
      this.recentAcks[this.recentAckAt] = ackedId * 256 + f.counter;
      this.recentAckAt = (this.recentAckAt + 1) % RECENT_ACKS;
      if (this.queue.length > 0) this.transmitHead(nowMs);
      outcome = 'matched';
    } else {
      this.stats.acksIgnored++;
      outcome = this.recentAcks.includes(ackedId * 256 + f.counter) ? 'repeat' : 'unexpected';
    }
    this.opts.onAck?.(outcome);
  }

  private deliver(id: number, payload: Uint8Array, counter: number, nowMs: number): void {
    let message: Message;
    try {
      message = decodeMessage(id, payload);
    } catch (e) {
      return this.drop(messageName(id) === undefined ? 'unknown-id' : 'invalid-payload', errorText(e));
    }
    if (message.name === 'REQ_SPLIT_MESS_SUPPORT' && this.opts.answerSplitRequest !== false) {
      this.splitEnabled = true;
      this.sendMessage('SPLIT_MESS_SUPPORTED', {}, nowMs);
    } else if (message.name === 'SPLIT_MESS_SUPPORTED') {
      this.splitEnabled = true;
    }
    this.stats.delivered++;
    try {
      this.opts.onMessage({ ...message, counter } as ReceivedMessage);
    } catch (e) {
      this.drop('handler-error', `${message.name} handler: ${errorText(e)}`);
    }
  }

  private sendAck(id: number, counter: number): void {
    this.stats.acksSent++;
    this.output(encodeMessage('ACKN', { ackedId: id }, counter));
  }

  private enqueue(id: number, bytes: Uint8Array): void {
    this.queue.push({ id, counter: bytes[4]!, bytes, sentAt: 0 });
  }

  private takeCounter(): number {
    let c = this.nextCounter;
    if (this.unpredictableCounters) {
      c = randomByte();
      if (c === this.lastSentCounter) c = (c + 1) & 0xff;
    }
    this.lastSentCounter = c;
    this.nextCounter = (c + 1) & 0xff;
    return c;
  }

  private transmitHead(nowMs: number): void {
    const head = this.queue[0];
    if (!head) return;
    head.sentAt = nowMs;
    this.output(head.bytes);
  }

  private output(bytes: Uint8Array): void {
    this.stats.framesOut++;
    try {
      this.opts.send(bytes);
    } catch (e) {
      // A failing socket send must not break the receive path; the retransmit timer covers the loss.
      this.stats.lastError = `send failed: ${errorText(e)}`;
    }
  }

  private drop(reason: DropReason, error: string): void {
    this.stats.drops[reason]++;
    this.stats.lastError = error;
    try {
      this.opts.onDrop?.(reason, error);
    } catch {
      // The drop hook is diagnostics only.
    }
  }
}

function errorText(e: unknown): string {
  return e instanceof ProtocolError || e instanceof Error ? e.message : String(e);
}
