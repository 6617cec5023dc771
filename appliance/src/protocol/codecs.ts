// Primitive field codecs and the combinators that build record codecs out of them (the dns-packet shape:
// every codec has encode, decode and encodingLength). All integers are little-endian on the Jamulus wire.
import { ProtocolError } from './errors.js';

/** Read position over buf[pos, end): decoders advance `pos` and must never read at or past `end`. */
export class Reader {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  need(n: number): void {
    const have = this.end - this.pos;
    if (have < n) throw new ProtocolError(`need ${n} byte${n === 1 ? '' : 's'} at offset ${this.pos}, have ${have}`);
  }
}

export interface Codec<T> {
  /** Bytes `encode` will write for this value. */
  encodingLength(value: T): number;
  /** Writes the value at buf[offset…] and returns the offset just after it. Throws ProtocolError on values
   * the wire cannot carry (out of range, string over its limit). */
  encode(value: T, buf: Uint8Array, offset: number): number;
  /** Reads one value and advances the reader. Throws ProtocolError on malformed input. */
  decode(r: Reader): T;
}

export type CodecValue<C> = C extends Codec<infer T> ? T : never;

function checkInt(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new ProtocolError(`value ${value} is not a ${what}`);
}

export const u8: Codec<number> = {
  encodingLength: () => 1,
  encode(value, buf, offset) {
    checkInt(value, 0xff, 'u8');
    buf[offset] = value;
    return offset + 1;
  },
  decode(r) {
    r.need(1);
    return r.buf[r.pos++]!;
  },
};

export const u16: Codec<number> = {
  encodingLength: () => 2,
  encode(value, buf, offset) {
    checkInt(value, 0xffff, 'u16');
    buf[offset] = value & 0xff;
    buf[offset + 1] = value >>> 8;
    return offset + 2;
  },
  decode(r) {
    r.need(2);
    const b = r.buf;
    const v = b[r.pos]! | (b[r.pos + 1]! << 8);
    r.pos += 2;
    return v;
  },
};

export const u32: Codec<number> = {
  encodingLength: () => 4,
  encode(value, buf, offset) {
    checkInt(value, 0xffffffff, 'u32');
    buf[offset] = value & 0xff;
    buf[offset + 1] = (value >>> 8) & 0xff;
    buf[offset + 2] = (value >>> 16) & 0xff;
    buf[offset + 3] = value >>> 24;
    return offset + 4;
  },
  decode(r) {
    r.need(4);
    const b = r.buf;
    const p = r.pos;
    r.pos += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
  },
};

/** u8 where any non-zero value is true (the reference tests `!= 0`); encodes true as 1. */
export const bool: Codec<boolean> = {
  encodingLength: () => 1,
  encode(value, buf, offset) {
    buf[offset] = value ? 1 : 0;
    return offset + 1;
  },
  decode(r) {
    r.need(1);
    return r.buf[r.pos++] !== 0;
  },
};

/** An integer codec restricted to listed values: the reference drops messages carrying anything else. */
export function oneOf(base: Codec<number>, allowed: readonly number[]): Codec<number> {
  const check = (v: number): void => {
    if (!allowed.includes(v)) throw new ProtocolError(`value ${v} is not one of ${allowed.join(', ')}`);
  };
  return {
    encodingLength: base.encodingLength,
    encode(value, buf, offset) {
      check(value);
      return base.encode(value, buf, offset);
    },
    decode(r) {
      const v = base.decode(r);
      check(v);
      return v;
    },
  };
}

/** An integer codec restricted to min..max inclusive. */
export function range(base: Codec<number>, min: number, max: number): Codec<number> {
  const check = (v: number): void => {
    if (v < min || v > max) throw new ProtocolError(`value ${v} outside ${min}..${max}`);
  };
  return {
    encodingLength: base.encodingLength,
    encode(value, buf, offset) {
      check(value);
      return base.encode(value, buf, offset);
    },
    decode(r) {
      const v = base.decode(r);
      check(v);
      return v;
    },
  };
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/**
 * UTF-8 string with a 1- or 2-byte length prefix. The limit is in UTF-16 code units, as the reference
 * checks QString::size() after decoding; it is enforced when encoding too so we never send what a real
 * peer would drop. Invalid UTF-8 is rejected (Qt would substitute U+FFFD; we refuse instead).
 */
function prefixedString(prefix: Codec<number>, maxUnits: number): Codec<string> {
  const prefixBytes = prefix.encodingLength(0);
  const checkLength = (s: string): void => {
    if (s.length > maxUnits) {
      throw new ProtocolError(`string of ${s.length} UTF-16 code units exceeds the limit of ${maxUnits}`);
    }
  };
  return {
    encodingLength: (value) => prefixBytes + Buffer.byteLength(value, 'utf8'),
    encode(value, buf, offset) {
      checkLength(value);
      const bytes = utf8Encoder.encode(value);
      offset = prefix.encode(bytes.length, buf, offset);
      buf.set(bytes, offset);
      return offset + bytes.length;
    },
    decode(r) {
      const n = prefix.decode(r);
      r.need(n);
      let s: string;
      try {
        s = utf8Decoder.decode(r.buf.subarray(r.pos, r.pos + n));
      } catch {
        throw new ProtocolError(`invalid UTF-8 in ${n}-byte string at offset ${r.pos}`);
      }
      r.pos += n;
      checkLength(s);
      return s;
    },
  };
}

/** str16: u16 byte count + UTF-8. */
export const str16 = (maxUnits: number): Codec<string> => prefixedString(u16, maxUnits);
/** str8: u8 byte count + UTF-8 (only the server name in CLM_RED_SERVER_LIST). */
export const str8 = (maxUnits: number): Codec<string> => prefixedString(u8, maxUnits);

/** IPv4 address as dotted quad; on the wire the host-order u32 little-endian, i.e. octets reversed. */
export const ipv4: Codec<string> = {
  encodingLength: () => 4,
  encode(value, buf, offset) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
    const octets = m ? m.slice(1).map(Number) : [];
    if (!m || octets.some((o) => o > 255)) throw new ProtocolError(`not an IPv4 address: ${JSON.stringify(value)}`);
    for (let i = 0; i < 4; i++) buf[offset + i] = octets[3 - i]!;
    return offset + 4;
  },
  decode(r) {
    r.need(4);
    const b = r.buf;
    const p = r.pos;
    r.pos += 4;
    return `${b[p + 3]}.${b[p + 2]}.${b[p + 1]}.${b[p]}`;
  },
};

/** Bytes that are written as zeros and skipped when read (the retired client address in client lists). */
export function zeros(n: number): Codec<null> {
  return {
    encodingLength: () => n,
    encode(_value, buf, offset) {
      buf.fill(0, offset, offset + n);
      return offset + n;
    },
    decode(r) {
      r.need(n);
      r.pos += n;
      return null;
    },
  };
}

/** All remaining bytes (copied, so values never alias a reused receive buffer). */
export const rest: Codec<Uint8Array> = {
  encodingLength: (value) => value.length,
  encode(value, buf, offset) {
    buf.set(value, offset);
    return offset + value.length;
  },
  decode(r) {
    const v = r.buf.slice(r.pos, r.end);
    r.pos = r.end;
    return v;
  },
};

export type EmptyPayload = Record<string, never>;

export const empty: Codec<EmptyPayload> = {
  encodingLength: () => 0,
  encode: (_value, _buf, offset) => offset,
  decode: () => ({}),
};

type FieldCodecs<T> = { [K in keyof T]: Codec<T[K]> };

/**
 * Fields in declaration order. A field whose codec decodes to null (zeros) is skipped in the value.
 * Errors are prefixed with the field name.
 */
export function struct<T extends object>(fields: FieldCodecs<T>): Codec<T> {
  const entries = Object.entries(fields) as [keyof T & string, Codec<unknown>][];
  return {
    encodingLength(value) {
      let n = 0;
      for (const [k, c] of entries) n += c.encodingLength(value[k]);
      return n;
    },
    encode(value, buf, offset) {
      for (const [k, c] of entries) {
        try {
          offset = c.encode(value[k], buf, offset);
        } catch (e) {
          throw e instanceof ProtocolError ? e.within(k) : e;
        }
      }
      return offset;
    },
    decode(r) {
      const out: Record<string, unknown> = {};
      for (const [k, c] of entries) {
        try {
          const v = c.decode(r);
          if (v !== null) out[k] = v;
        } catch (e) {
          throw e instanceof ProtocolError ? e.within(k) : e;
        }
      }
      return out as T;
    },
  };
}

/** Items concatenated until the end of the payload (lists are always the whole payload in Jamulus). */
export function listToEnd<T>(item: Codec<T>, maxItems = Infinity): Codec<T[]> {
  const checkCount = (n: number): void => {
    if (n > maxItems) throw new ProtocolError(`list of ${n} entries exceeds the limit of ${maxItems}`);
  };
  return {
    encodingLength(value) {
      let n = 0;
      for (const v of value) n += item.encodingLength(v);
      return n;
    },
    encode(value, buf, offset) {
      checkCount(value.length);
      value.forEach((v, i) => {
        try {
          offset = item.encode(v, buf, offset);
        } catch (e) {
          throw e instanceof ProtocolError ? e.within(`[${i}]`) : e;
        }
      });
      return offset;
    },
    decode(r) {
      const out: T[] = [];
      while (r.pos < r.end) {
        try {
          out.push(item.decode(r));
        } catch (e) {
          throw e instanceof ProtocolError ? e.within(`[${out.length}]`) : e;
        }
        checkCount(out.length);
      }
      return out;
    },
  };
}

/**
 * CLM_CHANNEL_LEVEL_LIST: 4-bit levels (0..9), entry 2k in the low nibble of byte k, 2k+1 in the high nibble;
 * an odd count pads the last high nibble with 0xF. As in the reference a 0xF high nibble ends the list.
 */
export function nibbleList(maxItems: number): Codec<number[]> {
  return {
    encodingLength: (value) => Math.ceil(value.length / 2),
    encode(value, buf, offset) {
      if (value.length > maxItems) throw new ProtocolError(`list of ${value.length} entries exceeds the limit of ${maxItems}`);
      value.forEach((v, i) => {
        if (!Number.isInteger(v) || v < 0 || v > 9) throw new ProtocolError(`value ${v} outside 0..9`).within(`[${i}]`);
      });
      for (let i = 0; i < value.length; i += 2) {
        buf[offset++] = value[i]! | ((i + 1 < value.length ? value[i + 1]! : 0xf) << 4);
      }
      return offset;
    },
    decode(r) {
      const bytes = r.end - r.pos;
      if (bytes * 2 > maxItems) throw new ProtocolError(`list of ${bytes * 2} entries exceeds the limit of ${maxItems}`);
      const out: number[] = [];
      while (r.pos < r.end) {
        const b = r.buf[r.pos++]!;
        out.push(b & 0xf);
        if (b >>> 4 === 0xf) {
          r.pos = r.end;
          break;
        }
        out.push(b >>> 4);
      }
      return out;
    },
  };
}
