// Public API of the Jamulus protocol library. See README.md in this folder.
export { crc16 } from './crc.js';
export { ProtocolError } from './errors.js';
export * from './constants.js';
export {
  Reader,
  u8,
  u16,
  u32,
  bool,
  str8,
  str16,
  ipv4,
  oneOf,
  range,
  struct,
  listToEnd,
  nibbleList,
  zeros,
  rest,
  empty,
  type Codec,
  type CodecValue,
  type EmptyPayload,
} from './codecs.js';
export type {
  ChannelInfo,
  ClientListEntry,
  TransportProps,
  VersionAndOs,
  ServerRegistration,
  ServerRegistrationEx,
  ServerListEntry,
  ReducedServerListEntry,
} from './records.js';
export {
  MESSAGES,
  MESSAGE_IDS,
  messageName,
  messageClass,
  encodeMessage,
  encodeMessageInto,
  encodePayload,
  encodingLength,
  payloadLength,
  decodeMessage,
  type MessageClass,
  type MessageSpec,
  type MessageName,
  type MessageValues,
  type AckedMessageName,
  type ClmMessageName,
  type Message,
  type SplitPart,
  type RawPayload,
} from './messages.js';
export { isProtocolFrame, parseFrame, writeFrame, buildFrame, type Frame, type FrameResult, type FrameErrorReason } from './frame.js';
export { splitPayload, SplitReassembler, type SplitResult } from './split.js';
export {
  ProtocolLink,
  type ProtocolLinkOptions,
  type ReceivedMessage,
  type DropReason,
  type AckOutcome,
  type LinkStats,
} from './link.js';
export {
  CODEC,
  CODEC_NAMES,
  SAMPLE_RATE,
  frameSamplesOf,
  frameStride,
  audioPacketBytes,
  formatFromProps,
  propsFromFormat,
  audioFrameOffset,
  audioFrameSequence,
  splitAudioPacket,
  assembleAudioPacket,
  type AudioFormat,
  type CodecId,
} from './audio-format.js';
