// DNS rebinding defence: a web page on evil.example can point its own name at the box's address,
// and the browser then sends the page's requests to the box with `Host: evil.example` (and no
// cross-origin protection, since to the browser it is the same origin). So every request must
// name the box itself: its host name (with or without .local), riffbox.local, its dynamic DNS
// name (which its owner controls), one of its own current addresses, or loopback. Anything else
// is refused before any route runs.
import { hostname as osHostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import type { NextFunction, Request, Response } from 'express';

/** The name avahi announces on a box that kept the image's host name. */
export const DEFAULT_MDNS_NAME = 'riffbox.local';
/** Addresses are read again at most this often; a miss always reads them again first. */
const ADDRESS_CACHE_MS = 2000;

/** The host part of a Host header, lower-cased, without port, brackets or a final dot; null if malformed. */
export function hostOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const h = header.trim().toLowerCase();
  if (h === '' || h.length > 255) return null;
  let host: string;
  let port: string | undefined;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return null;
    host = h.slice(1, end);
    const rest = h.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) return null;
    port = rest === '' ? undefined : rest.slice(1);
    if (isIP(host) !== 6) return null;
  } else {
    const colon = h.lastIndexOf(':');
    if (colon >= 0 && h.indexOf(':') !== colon) return null; // an unbracketed IPv6 address
    host = colon >= 0 ? h.slice(0, colon) : h;
    port = colon >= 0 ? h.slice(colon + 1) : undefined;
  }
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return null;
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '' || !/^[a-z0-9.:-]+$/.test(host)) return null;
  return host;
}

function isLoopback(host: string): boolean {
  if (host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export interface HostCheckOptions {
  /** The host name the settings give the box (what avahi announces as NAME.local). */
  readonly configuredName: () => string;
  /** The box's dynamic DNS name, '' when there is none. */
  readonly publicName?: () => string;
  /** For tests: the box's addresses; default reads every interface. */
  readonly addresses?: () => Iterable<string>;
  /** For tests: the OS host name. */
  readonly osName?: () => string;
}

export class HostCheck {
  private cached = new Set<string>();
  private cachedAt = 0;

  constructor(private readonly o: HostCheckOptions) {}

  /** Whether `host` (as returned by hostOf) names this box. */
  allows(host: string): boolean {
    if (host === 'localhost' || isLoopback(host) || host === DEFAULT_MDNS_NAME) return true;
    for (const name of [this.o.configuredName(), (this.o.osName ?? osHostname)()]) {
      const n = name.toLowerCase();
      if (n !== '' && (host === n || host === `${n}.local`)) return true;
    }
    const publicName = this.o.publicName?.().toLowerCase() ?? '';
    if (publicName !== '' && host === publicName) return true;
    if (isIP(host) === 0) return false;
    if (Date.now() - this.cachedAt < ADDRESS_CACHE_MS && this.cached.has(host)) return true;
    // A static IP change or a new DHCP lease may have just happened: read the addresses live.
    this.cached = new Set([...(this.o.addresses ?? interfaceAddresses)()].map((a) => a.toLowerCase()));
    this.cachedAt = Date.now();
    return this.cached.has(host);
  }

  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const host = hostOf(req.get('host'));
      if (host !== null && this.allows(host)) return next();
      const name = this.o.configuredName() || 'riffbox';
      res
        .status(421)
        .set('Cache-Control', 'no-store')
        .type('text')
        .send(
          `riffbox: this admin page answers only under the box's own name or address ` +
            `(http://${name}.local/, http://${DEFAULT_MDNS_NAME}/ or its IP address), ` +
            `and this request named ${host === null ? 'no valid host' : JSON.stringify(host)}.\n`,
        );
    };
  }
}

/** Every address of every interface, IPv6 without its zone. */
export function interfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.push(a.address.split('%')[0]!);
  }
  return out;
}
