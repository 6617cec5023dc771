// The server a client joins: `host[:port]` as the user typed it, resolved to an IPv4 address at every
// connection attempt (a dynamic-DNS name may have moved since the last one).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { splitHostPort } from '../settings/fields.js';

const DEFAULT_SERVER_PORT = 22124;

export interface ServerAddress {
  host: string;
  port: number;
  /** "host:port" with the default port filled in, for messages. */
  label: string;
}

const THIS_BOX = new Set(['127.0.0.1', 'localhost']);

/**
 * The address the client joins, from its setting and the box's own server port: "127.0.0.1" or
 * "localhost" without a port means the server on this box, wherever the admin moved its port
 * (otherwise changing the server's port would leave the local musician knocking on 22124).
 */
export function effectiveServerAddress(clientServer: string, ownServerPort: number): string {
  const hp = splitHostPort(clientServer.trim());
  if (hp && hp.port === undefined && THIS_BOX.has(hp.host)) return `${hp.host}:${ownServerPort}`;
  return clientServer;
}

export function parseServerAddress(text: string): ServerAddress {
  const hp = splitHostPort(text.trim());
  if (!hp || hp.host === '') throw new TypeError(`server must be host[:port], got "${text}"`);
  const port = hp.port ?? DEFAULT_SERVER_PORT;
  const host = hp.host;
  return { host, port, label: `${isIP(host) === 6 ? `[${host}]` : host}:${port}` };
}

/**
 * The address itself when `host` is an IPv4 literal (no lookup, no waiting), null for a name that
 * needs DNS. Throws for IPv6, which the client does not speak.
 */
export function literalServerHost(host: string): string | null {
  if (isIP(host) === 4) return host;
  if (isIP(host) === 6) throw new Error(`IPv6 server addresses are not supported (${host})`);
  return null;
}

/**
 * The IPv4 address to send to. Jamulus 3.x clients are IPv4 unless started with -6, and anything
 * involving a directory is IPv4-only, so names resolve to A records.
 */
export async function resolveServerHost(host: string): Promise<string> {
  const literal = literalServerHost(host);
  if (literal !== null) return literal;
  const r = await lookup(host, { family: 4 });
  return r.address;
}
