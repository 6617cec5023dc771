// Protocol constants (global.h names in comments where they help finding the reference).

/** Frame header bytes (MESS_HEADER_LENGTH_BYTE) and total overhead incl. CRC (MESS_LEN_WITHOUT_DATA_BYTE). */
export const FRAME_HEADER_BYTES = 7;
export const FRAME_OVERHEAD_BYTES = 9;
/** Largest datagram a peer reads (MAX_SIZE_BYTES_NETW_BUF). */
export const MAX_DATAGRAM_BYTES = 20000;
/** Split threshold and part size (MESS_SPLIT_PART_SIZE_BYTES). */
export const SPLIT_PART_BYTES = 550;
/** MAX_NUM_MESS_SPLIT_PARTS. */
export const MAX_SPLIT_PARTS = 36;
/** SEND_MESS_TIMEOUT_MS: retransmit period of the unacknowledged head, unlimited retries. */
export const RETRANSMIT_MS = 400;
/** JITT_BUF_SIZE value meaning "auto" (AUTO_NET_BUF_SIZE_FOR_PROTOCOL). */
export const JITTER_AUTO = 21;
/** Receiver-side string limits in UTF-16 code units, and numeric limits. */
export const LIMITS = {
  name: 16,
  city: 20,
  serverName: 20,
  ipAddress: 15,
  /** Chat as received, both directions (MAX_LEN_CHAT_TEXT_PLUS_HTML). */
  chat: 1800,
  /** Chat typed by a user / welcome message (MAX_LEN_CHAT_TEXT). */
  chatTyped: 1600,
  /** 50 is what 3.12+ accept; send ≤ 20 if 3.6 peers matter (see VERSION_TEXT_SAFE). */
  version: 50,
  minFrameBytes: 10,
  maxFrameBytes: 20000,
  /** MAX_NUM_CHANNELS: also the most entries in a level list. */
  maxChannels: 150,
} as const;
/** Longest version string every 3.6+ peer accepts. */
export const VERSION_TEXT_SAFE = 20;
