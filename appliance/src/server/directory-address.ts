// Where the registration goes and what it says about where we are: the directory's `host[:port]` parsed and
// resolved to IPv4, and the LAN address Jamulus puts in the registration's internal address field.
import { sourceAddressTowards } from '../reach/local-addresses.js';
import { lookup } from 'node:dns/promises';
import { isIPv4 } from 'node:net';

export const DEFAULT_DIRECTORY_PORT = 22124;

/** `host[:port]` → parts; the port defaults to DEFAULT_DIRECTORY_PORT like Jamulus's directory address parsing. */
export function splitDirectoryAddress(address: string): { host: string; port: number } | null {
  const m = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(address.trim());
  if (!m) return null;
  const port = m[2] === undefined ? DEFAULT_DIRECTORY_PORT : Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1]!, port };
}

/** A host name → IPv4 through the system resolver; an IPv4 literal as it is. */
export async function resolveIPv4(host: string): Promise<string> {
  if (isIPv4(host)) return host;
  const r = await lookup(host, { family: 4 });
  return r.address;
}

/** The box's address towards the Internet, as Jamulus finds it (the route to 1.1.1.1). '' when there is no route. */
export function discoverLanAddress(probe = '1.1.1.1'): Promise<string> {
  return sourceAddressTowards(probe);
}
