/**
 * A malformed or unencodable protocol value. The message is built from a field path plus a detail so that
 * hostile-input tests can assert the exact text, e.g. `CHANNEL_INFOS.name: string of 17 UTF-16 code units
 * exceeds the limit of 16`.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  private path = '';

  constructor(readonly detail: string) {
    super(detail);
  }

  /** Adds an outer path segment ("name", "[3]" or a message name) and rebuilds the message. */
  within(segment: string): this {
    if (this.path === '') this.path = segment;
    else if (this.path.startsWith('[')) this.path = segment + this.path;
    else this.path = `${segment}.${this.path}`;
    this.message = `${this.path}: ${this.detail}`;
    return this;
  }
}
