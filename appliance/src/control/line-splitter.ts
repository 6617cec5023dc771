// Splits a byte stream into newline-terminated lines with a bound on line length, so a peer
// that never sends a newline cannot make the process buffer without limit.

export interface LineSink {
  /** A complete line without its '\n'. Return false to stop reading the current chunk. */
  line(bytes: Buffer): boolean;
  /** A line grew past the limit; its bytes are dropped up to and including the next '\n'. */
  oversized(): boolean;
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;

  constructor(readonly maxLineBytes: number) {}

  /** Bytes held for an unfinished line; never more than maxLineBytes. */
  get bufferedBytes(): number {
    return this.size;
  }

  push(chunk: Buffer, sink: LineSink): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      if (this.discarding) {
        if (nl < 0) return;
        this.discarding = false;
        start = nl + 1;
        continue;
      }
      if (nl < 0) {
        const rest = chunk.length - start;
        if (this.size + rest > this.maxLineBytes) {
          this.drop();
          this.discarding = true;
          sink.oversized();
          return;
        }
        // Copy: the socket may reuse the chunk's memory.
        this.parts.push(Buffer.from(chunk.subarray(start)));
        this.size += rest;
        return;
      }
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.size + piece.length > this.maxLineBytes) {
        this.drop();
        if (!sink.oversized()) return;
        continue;
      }
      const line = this.parts.length === 0 ? piece : Buffer.concat([...this.parts, piece]);
      this.drop();
      if (!sink.line(line)) return;
    }
  }

  private drop(): void {
    this.parts = [];
    this.size = 0;
  }
}
