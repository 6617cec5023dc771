// The server a client joins: `host[:port]` as the user typed it (an IPv6 address bare or as `[v6]:port`),
// resolved at every connection attempt (a dynamic-DNS name may have moved since the last one).
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { splitHostPort } from '../settings/fields.js';
import { endpointText } from '../net/endpoint.js';

export const DEFAULT_SERVER_PORT = 22124;

export interface ServerAddress {
  host: string;
  port: number;
  /** "host:port" with the default port filled in, for messages. */
  label: string;
}

const THIS_BOX = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * The address the client joins, from its setting and the box's own server port: "127.0.0.1", "::1" or
 * "localhost" without a port means the server on this box, wherever the admin moved its port
 * (otherwise changing the server's port would leave the local musician knocking on 22124).
 */
export function effectiveServerAddress(clientServer: string, ownServerPort: number): string {
  const hp = splitHostPort(clientServer.trim());
  if (hp && hp.port === undefined && THIS_BOX.has(hp.host)) return endpointText(hp.host, ownServerPort);
  return clientServer;
}

export function parseServerAddress(text: string): ServerAddress {
  const hp = splitHostPort(text.trim());
  if (!hp || hp.host === '') throw new TypeError(`server must be host[:port], got "${text}"`);
  const port = hp.port ?? DEFAULT_SERVER_PORT;
  const host = hp.host;
  return { host, port, label: endpointText(host, port) };
}

/** The address itself when `host` is an IP literal, IPv4 or IPv6 (no lookup, no waiting); null for a name that needs DNS. */
export function literalServerHost(host: string): string | null {
  return isIP(host) !== 0 ? host : null;
}

/**
 * The address to send to. A name resolves to its A record, as Jamulus 3.x clients do (they are IPv4 unless
 * started with -6, and anything involving a directory is IPv4), so a name with both records behaves as it
 * always did; a name with only an AAAA record (a server on a line without public IPv4, published by DDNS)
 * resolves to that.
 */
export async function resolveServerHost(host: string): Promise<string> {
  const literal = literalServerHost(host);
  if (literal !== null) return literal;
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch (e) {
    try {
      return (await lookup(host, { family: 6 })).address;
    } catch {
      // The IPv4 failure says more (NXDOMAIN, no resolver) than a second "not found".
      throw e;
    }
  }
}
