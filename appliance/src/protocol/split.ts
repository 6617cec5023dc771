// Split messages (id 2001, §1.7): cutting a long acknowledged payload into ≤550-byte parts, and the
// per-peer reassembly state, which follows the reference: parts must arrive as 0,1,2,… and anything
// unexpected resets the state.
import { MAX_DATAGRAM_BYTES, MAX_SPLIT_PARTS, SPLIT_PART_BYTES } from './constants.js';
import type { SplitPart } from './messages.js';
import { messageClass } from './messages.js';

/** Parts for a payload of an acknowledged message; the caller gives each part its own counter. */
export function splitPayload(originalId: number, payload: Uint8Array): SplitPart[] {
  const parts = Math.ceil(payload.length / SPLIT_PART_BYTES);
  if (parts > MAX_SPLIT_PARTS) {
    throw new RangeError(`payload of ${payload.length} bytes needs ${parts} split parts, the limit is ${MAX_SPLIT_PARTS}`);
  }
  const out: SplitPart[] = [];
  for (let index = 0; index < parts; index++) {
    const data = payload.subarray(index * SPLIT_PART_BYTES, Math.min(payload.length, (index + 1) * SPLIT_PART_BYTES));
    out.push({ originalId, parts, index, data });
  }
  return out;
}

export type SplitResult =
  | { status: 'partial' }
  | { status: 'complete'; id: number; payload: Uint8Array }
  | { status: 'error'; error: string };

const PARTIAL: SplitResult = Object.freeze({ status: 'partial' });

export class SplitReassembler {
  // One buffer per peer, sized like the reference's receive buffer: a set can never legitimately exceed it.
  private readonly storage = new Uint8Array(MAX_DATAGRAM_BYTES);
  private expected = 0;
  private filled = 0;

  /** Index of the next part this reassembler will accept (0 when idle). */
  get expectedIndex(): number {
    return this.expected;
  }

  reset(): void {
    this.expected = 0;
    this.filled = 0;
  }

  /** Feeds one part; on error the state is reset (as the reference does) and the text says why. */
  add(part: SplitPart): SplitResult {
    const error = this.check(part);
    if (error) {
      this.reset();
      return { status: 'error', error };
    }
    this.storage.set(part.data, this.filled);
    this.filled += part.data.length;
    this.expected++;
    if (this.expected < part.parts) return PARTIAL;
    const payload = this.storage.slice(0, this.filled);
    this.reset();
    return { status: 'complete', id: part.originalId, payload };
  }

  private check(p: SplitPart): string | null {
    if (p.parts > MAX_SPLIT_PARTS) return `split set of ${p.parts} parts exceeds the limit of ${MAX_SPLIT_PARTS}`;
    if (p.index >= p.parts) return `split part index ${p.index} is not below the part count ${p.parts}`;
    if (p.index !== this.expected) return `split part ${p.index} out of order, expected ${this.expected}`;
    if (p.originalId === 2001 || messageClass(p.originalId) !== 'acked') {
      return `split message cannot carry id ${p.originalId}`;
    }
    if (this.filled + p.data.length > this.storage.length) {
      return `split message exceeds ${this.storage.length} bytes`;
    }
    return null;
  }
}
