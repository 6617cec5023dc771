// Composite payload records shared by several messages, built from the primitive codecs.
import { bool, ipv4, listToEnd, oneOf, range, str16, str8, struct, u16, u32, u8, zeros, type Codec } from './codecs.js';
import { LIMITS } from './constants.js';

/** Own profile a client sends (CHANNEL_INFOS). */
export interface ChannelInfo {
  /** Qt5 QLocale::Country number (0 = unset). */
  country: number;
  /** Instrument table index (0 = none). */
  instrument: number;
  /** 0 not set, 1 beginner, 2 intermediate, 3 expert. */
  skill: number;
  name: string;
  city: string;
}

export const channelInfo: Codec<ChannelInfo> = struct<ChannelInfo>({
  country: u16,
  instrument: u32,
  skill: u8,
  name: str16(LIMITS.name),
  city: str16(LIMITS.city),
});

/** One entry of CONN_CLIENTS_LIST / CLM_CONN_CLIENTS_LIST. */
export interface ClientListEntry extends ChannelInfo {
  channelId: number;
}

// Field order differs from ChannelInfo (channel id first, a retired 4-byte address before the strings).
// The zeros() field decodes to nothing and ignores its value when encoding, hence the cast.
export const clientListEntry = struct<ClientListEntry & { retiredAddress: null }>({
  channelId: u8,
  country: u16,
  instrument: u32,
  skill: u8,
  retiredAddress: zeros(4),
  name: str16(LIMITS.name),
  city: str16(LIMITS.city),
}) as unknown as Codec<ClientListEntry>;

export const clientList = listToEnd(clientListEntry);

/** NETW_TRANSPORT_PROPS exactly as on the wire; see audio-format.ts for the derived AudioFormat. */
export interface TransportProps {
  /** Bytes of one coded frame including the sequence byte when flags = 1 (10..20000). */
  frameBytes: number;
  /** Coded frames per UDP packet: 1, 2 or 4. */
  factor: number;
  /** 1 mono, 2 stereo. */
  channels: number;
  /** Always 48000; not validated by the reference. */
  sampleRate: number;
  /** 1 CELT, 2 OPUS (128-sample frames), 3 OPUS64 (64-sample frames). */
  codec: number;
  /** 0 none, 1 sequence byte after each frame (any other value is carried but means "none"). */
  flags: number;
  /** Ignored; 0. */
  codecArg: number;
}

export const transportProps: Codec<TransportProps> = struct<TransportProps>({
  frameBytes: range(u32, LIMITS.minFrameBytes, LIMITS.maxFrameBytes),
  factor: oneOf(u16, [1, 2, 4]),
  channels: oneOf(u8, [1, 2]),
  sampleRate: u32,
  codec: oneOf(u16, [1, 2, 3]),
  flags: u16,
  codecArg: u32,
});

/** VERSION_AND_OS / CLM_VERSION_AND_OS. */
export interface VersionAndOs {
  /** 0 Windows, 1 macOS, 2 Linux, 3 Android, 4 iOS, 5 other Unix. */
  os: number;
  version: string;
}

export const versionAndOs: Codec<VersionAndOs> = struct<VersionAndOs>({
  os: u8,
  version: str16(LIMITS.version),
});

/** CLM_REGISTER_SERVER payload (the "core" server description). */
export interface ServerRegistration {
  /** The port the registering server listens on. */
  port: number;
  country: number;
  maxClients: number;
  permanent: boolean;
  name: string;
  /** Dotted-quad LAN (or --serverpublicip) address, or empty. */
  internalAddress: string;
  city: string;
}

const registrationFields = {
  port: u16,
  country: u16,
  maxClients: u8,
  permanent: bool,
  name: str16(LIMITS.serverName),
  internalAddress: str16(LIMITS.ipAddress),
  city: str16(LIMITS.city),
};

export const serverRegistration: Codec<ServerRegistration> = struct<ServerRegistration>(registrationFields);

export interface ServerRegistrationEx extends ServerRegistration, VersionAndOs {}

export const serverRegistrationEx: Codec<ServerRegistrationEx> = struct<ServerRegistrationEx>({
  ...registrationFields,
  os: u8,
  version: str16(LIMITS.version),
});

/** One entry of CLM_SERVER_LIST. Entry 0 is the directory itself with ip 0.0.0.0, port 0. */
export interface ServerListEntry extends ServerRegistration {
  ip: string;
}

export const serverListEntry: Codec<ServerListEntry> = struct<ServerListEntry>({
  ip: ipv4,
  ...registrationFields,
});

/** One entry of CLM_RED_SERVER_LIST. */
export interface ReducedServerListEntry {
  ip: string;
  port: number;
  name: string;
}

export const reducedServerListEntry: Codec<ReducedServerListEntry> = struct<ReducedServerListEntry>({
  ip: ipv4,
  port: u16,
  name: str8(LIMITS.serverName),
});
