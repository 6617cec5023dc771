// THE message table: every id of protocol reference §2.3 with its name, class and payload codec. Encoding,
// decoding, encoded length and both id<->name maps are derived from this one object, so they cannot drift.
import {
  bool,
  empty,
  ipv4,
  listToEnd,
  nibbleList,
  oneOf,
  range,
  Reader,
  rest,
  str16,
  struct,
  u16,
  u32,
  u8,
  type Codec,
  type EmptyPayload,
} from './codecs.js';
import { FRAME_OVERHEAD_BYTES, JITTER_AUTO, LIMITS } from './constants.js';
import { ProtocolError } from './errors.js';
import { writeFrame } from './frame.js';
import {
  channelInfo,
  clientList,
  reducedServerListEntry,
  serverListEntry,
  serverRegistration,
  serverRegistrationEx,
  transportProps,
  versionAndOs,
} from './records.js';

/** 'ack' = ACKN itself (never acknowledged); 'acked' = queued, acknowledged, retransmitted; 'clm' = connection-less. */
export type MessageClass = 'ack' | 'acked' | 'clm';

export interface MessageSpec<T, C extends MessageClass = MessageClass> {
  readonly id: number;
  readonly class: C;
  readonly codec: Codec<T>;
  /** Not sent or evaluated by any 3.6+ peer; a receiver just ACKs it. */
  readonly obsolete?: true;
  /** Only defined from this Jamulus version on (4.0 additions); 3.x peers ACK/ignore it. */
  readonly since?: string;
}

type Extra = { obsolete?: true; since?: string };

function acked<T>(id: number, codec: Codec<T>, extra: Extra = {}): MessageSpec<T, 'acked'> {
  return { id, class: 'acked', codec, ...extra };
}
function clm<T>(id: number, codec: Codec<T>, extra: Extra = {}): MessageSpec<T, 'clm'> {
  return { id, class: 'clm', codec, ...extra };
}

/** Payload of obsolete ids: kept as raw bytes so they can be captured and re-sent unchanged. */
export interface RawPayload {
  bytes: Uint8Array;
}
const raw = struct<RawPayload>({ bytes: rest });
const OBSOLETE = { obsolete: true } as const;

export const MESSAGES = {
  ILLEGAL: acked(0, raw, OBSOLETE),
  ACKN: { id: 1, class: 'ack', codec: struct({ ackedId: u16 }) } as MessageSpec<{ ackedId: number }, 'ack'>,
  JITT_BUF_SIZE: acked(10, struct({ blocks: range(u16, 1, JITTER_AUTO) })),
  REQ_JITT_BUF_SIZE: acked(11, empty),
  NET_BLSI_FACTOR: acked(12, raw, OBSOLETE),
  CHANNEL_GAIN: acked(13, struct({ channelId: u8, gain: u16 })),
  CONN_CLIENTS_LIST_NAME: acked(14, raw, OBSOLETE),
  SERVER_FULL: acked(15, raw, OBSOLETE),
  REQ_CONN_CLIENTS_LIST: acked(16, empty),
  CHANNEL_NAME: acked(17, raw, OBSOLETE),
  CHAT_TEXT: acked(18, struct({ text: str16(LIMITS.chat) })),
  PING_MS: acked(19, raw, OBSOLETE),
  NETW_TRANSPORT_PROPS: acked(20, transportProps),
  REQ_NETW_TRANSPORT_PROPS: acked(21, empty),
  DISCONNECTION: acked(22, raw, OBSOLETE),
  REQ_CHANNEL_INFOS: acked(23, empty),
  CONN_CLIENTS_LIST: acked(24, struct({ clients: clientList })),
  CHANNEL_INFOS: acked(25, channelInfo),
  OPUS_SUPPORTED: acked(26, empty),
  LICENCE_REQUIRED: acked(27, struct({ licenceType: oneOf(u8, [0, 1]) })),
  REQ_CHANNEL_LEVEL_LIST: acked(28, struct({ optIn: bool })),
  VERSION_AND_OS: acked(29, versionAndOs),
  CHANNEL_PAN: acked(30, struct({ channelId: u8, pan: u16 })),
  MUTE_STATE_CHANGED: acked(31, struct({ channelId: u8, muted: bool })),
  CLIENT_ID: acked(32, struct({ channelId: u8 })),
  RECORDER_STATE: acked(33, struct({ state: oneOf(u8, [1, 2, 3]) })),
  REQ_SPLIT_MESS_SUPPORT: acked(34, empty),
  SPLIT_MESS_SUPPORTED: acked(35, empty),
  RAWAUDIO_SUPPORTED: acked(36, empty, { since: '4.0.0beta1' }),
  CLM_PING_MS: clm(1001, struct({ timeMs: u32 })),
  CLM_PING_MS_WITHNUMCLIENTS: clm(1002, struct({ timeMs: u32, numClients: u8 })),
  CLM_SERVER_FULL: clm(1003, empty),
  CLM_REGISTER_SERVER: clm(1004, serverRegistration),
  CLM_UNREGISTER_SERVER: clm(1005, empty),
  CLM_SERVER_LIST: clm(1006, struct({ servers: listToEnd(serverListEntry) })),
  CLM_REQ_SERVER_LIST: clm(1007, empty),
  CLM_SEND_EMPTY_MESSAGE: clm(1008, struct({ ip: ipv4, port: u16 })),
  CLM_EMPTY_MESSAGE: clm(1009, empty),
  CLM_DISCONNECTION: clm(1010, empty),
  CLM_VERSION_AND_OS: clm(1011, versionAndOs),
  CLM_REQ_VERSION_AND_OS: clm(1012, empty),
  CLM_CONN_CLIENTS_LIST: clm(1013, struct({ clients: clientList })),
  CLM_REQ_CONN_CLIENTS_LIST: clm(1014, empty),
  CLM_CHANNEL_LEVEL_LIST: clm(1015, struct({ levels: nibbleList(LIMITS.maxChannels) })),
  CLM_REGISTER_SERVER_RESP: clm(1016, struct({ result: oneOf(u8, [0, 1, 2, 3]) })),
  CLM_REGISTER_SERVER_EX: clm(1017, serverRegistrationEx),
  CLM_RED_SERVER_LIST: clm(1018, struct({ servers: listToEnd(reducedServerListEntry) })),
  CLM_SERVER_FEATURES: clm(1019, struct({ features: u32 }), { since: '4.0.0beta1' }),
  CLM_REQ_SERVER_FEATURES: clm(1020, empty, { since: '4.0.0beta1' }),
  CLM_WELCOME_MESSAGE: clm(1021, struct({ text: str16(LIMITS.chatTyped) }), { since: '4.0.0beta2' }),
  CLM_REQ_WELCOME_MESSAGE: clm(1022, empty, { since: '4.0.0beta2' }),
  SPECIAL_SPLIT_MESSAGE: acked(
    2001,
    struct({ originalId: u16, parts: u8, index: u8, data: rest }) as Codec<SplitPart>,
  ),
} satisfies Record<string, MessageSpec<any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Payload of SPECIAL_SPLIT_MESSAGE (2001). */
export interface SplitPart {
  originalId: number;
  /** Total number of parts N. */
  parts: number;
  /** 0..N-1. */
  index: number;
  data: Uint8Array;
}

export type MessageName = keyof typeof MESSAGES;
/** Name -> decoded payload type. */
export type MessageValues = {
  [N in MessageName]: (typeof MESSAGES)[N] extends MessageSpec<infer T, MessageClass> ? T : never;
};
export type AckedMessageName = { [N in MessageName]: (typeof MESSAGES)[N]['class'] extends 'acked' ? N : never }[MessageName];
export type ClmMessageName = { [N in MessageName]: (typeof MESSAGES)[N]['class'] extends 'clm' ? N : never }[MessageName];

/** A decoded message: discriminate on `name` to get a typed `value`. */
export type Message = { [N in MessageName]: { name: N; id: number; value: MessageValues[N] } }[MessageName];

export type { EmptyPayload };

/** Name -> id, e.g. MESSAGE_IDS.CLIENT_ID === 32. */
export const MESSAGE_IDS = Object.freeze(
  Object.fromEntries(Object.entries(MESSAGES).map(([n, s]) => [n, s.id])) as { readonly [N in MessageName]: number },
);

const BY_ID = new Map<number, { name: MessageName; spec: MessageSpec<unknown> }>(
  Object.entries(MESSAGES).map(([name, spec]) => [spec.id, { name: name as MessageName, spec: spec as MessageSpec<unknown> }]),
);

/** Id -> name, or undefined for ids not in the table. */
export function messageName(id: number): MessageName | undefined {
  return BY_ID.get(id)?.name;
}

/** The class of any id, including ids not in the table: 1000..1999 are connection-less, 1 is ACKN, all else acked. */
export function messageClass(id: number): MessageClass {
  if (id === 1) return 'ack';
  return id >= 1000 && id < 2000 ? 'clm' : 'acked';
}

function specOf(name: MessageName): MessageSpec<unknown> {
  const spec = MESSAGES[name] as MessageSpec<unknown> | undefined;
  if (!spec) throw new ProtocolError(`unknown message name ${JSON.stringify(name)}`);
  return spec;
}

/** Payload bytes of a message (without the 9 bytes of framing). */
export function payloadLength<N extends MessageName>(name: N, value: MessageValues[N]): number {
  return specOf(name).codec.encodingLength(value);
}

/** Bytes of the whole frame: header + payload + CRC. */
export function encodingLength<N extends MessageName>(name: N, value: MessageValues[N]): number {
  return FRAME_OVERHEAD_BYTES + payloadLength(name, value);
}

/** Encodes a whole frame into buf at offset; returns the number of bytes written. Throws ProtocolError. */
export function encodeMessageInto<N extends MessageName>(
  name: N,
  value: MessageValues[N],
  counter: number,
  buf: Uint8Array,
  offset = 0,
): number {
  const spec = specOf(name);
  const payloadStart = offset + 7;
  let end: number;
  try {
    end = spec.codec.encode(value, buf, payloadStart);
  } catch (e) {
    throw e instanceof ProtocolError ? e.within(name) : e;
  }
  return writeFrame(buf, offset, spec.id, counter, end - payloadStart);
}

/** Encodes a whole frame (header, payload, CRC) into a new buffer. Counter is 0 for connection-less messages. */
export function encodeMessage<N extends MessageName>(name: N, value: MessageValues[N], counter = 0): Uint8Array {
  const buf = new Uint8Array(encodingLength(name, value));
  encodeMessageInto(name, value, counter, buf, 0);
  return buf;
}

/** Encodes only the payload (used when splitting). */
export function encodePayload<N extends MessageName>(name: N, value: MessageValues[N]): Uint8Array {
  const spec = specOf(name);
  const buf = new Uint8Array(spec.codec.encodingLength(value));
  try {
    spec.codec.encode(value, buf, 0);
  } catch (e) {
    throw e instanceof ProtocolError ? e.within(name) : e;
  }
  return buf;
}

/**
 * Decodes a payload for message id `id`. Throws ProtocolError for unknown ids (`unknown message id 99`),
 * truncated or over-long payloads and invalid field values; the payload must be consumed exactly.
 */
export function decodeMessage(id: number, payload: Uint8Array, start = 0, end = payload.length): Message {
  const entry = BY_ID.get(id);
  if (!entry) throw new ProtocolError(`unknown message id ${id}`);
  // Offsets in error messages are relative to the payload start.
  const r = new Reader(payload.subarray(start, end), 0, end - start);
  let value: unknown;
  try {
    value = entry.spec.codec.decode(r);
    if (r.pos !== r.end) {
      const extra = r.end - r.pos;
      throw new ProtocolError(`${extra} unexpected byte${extra === 1 ? '' : 's'} after offset ${r.pos}`);
    }
  } catch (e) {
    throw e instanceof ProtocolError ? e.within(entry.name) : e;
  }
  return { name: entry.name, id, value } as Message;
}
