// /etc/ddclient.conf from the DDNS settings, in ddclient 3.10/3.11 syntax. Secrets go on their own
// `password='…'` line: ddclient lifts that pattern out before stripping comments, so a password
// may hold '#', quotes or commas. Logins and hosts cannot be quoted, so characters that would end
// or comment them out are refused here with a message rather than written wrong.
import { isIPv4 } from 'node:net';
import { splitHostPort, type FlatSettings } from '../../../appliance/src/settings/index.js';

/** Where ddclient asks "what is my public IPv4?"; any service that answers with the address as text. */
export const DEFAULT_WEBV4 = 'https://api.ipify.org/';
export const DDCLIENT_DAEMON_INTERVAL_S = 300;

export class DdclientConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DdclientConfigError';
  }
}

function bareWord(value: string, what: string): string {
  if (!/^[^\s,#'"\\=]+$/.test(value)) throw new DdclientConfigError(`${what} must not contain spaces, commas, quotes, backslashes, '=' or '#' (ddclient cannot read them)`);
  return value;
}

function isLanAddress(host: string): boolean {
  if (host === 'localhost') return true;
  if (!isIPv4(host)) return false;
  const [a, b] = host.split('.').map(Number) as [number, number];
  return a === 127 || a === 10 || (a === 192 && b === 168) || (a === 172 && b >= 16 && b <= 31);
}

export interface DdclientPaths {
  readonly cache: string;
  readonly webv4: string;
  /** The interface whose global IPv6 address the AAAA record publishes (ddclient reads it there). */
  readonly ifv6: string;
}

/** The whole file; `null` when DDNS is off (the caller stops ddclient instead). */
export function renderDdclientConf(s: FlatSettings, paths: DdclientPaths): string | null {
  if (!s['ddns.enabled']) return null;
  const host = bareWord(s['ddns.host'], 'Host name');
  const lines = [
    '# Written by riffbox-apply from the admin page; changes made here are overwritten.',
    `daemon=${DDCLIENT_DAEMON_INTERVAL_S}`,
    'syslog=yes',
    `cache=${paths.cache}`,
    // IPv4 as the Internet sees it (behind the router's NAT), looked up at the owner's address if set,
    // else the checkout's test hook (RIFFBOX_DDNS_WEBV4); IPv6 is the box's own global address.
    ...(s['ddns.addresses'] === 'ipv6' ? ['usev4=disabled'] : ['usev4=webv4', `webv4=${s['ddns.checkip'] || paths.webv4}`]),
    ...(s['ddns.addresses'] === 'ipv4' ? [] : ['usev6=ifv6', `ifv6=${bareWord(paths.ifv6, 'IPv6 interface')}`]),
    '',
  ];
  const secret = (v: string): string => `password='${v}'`;
  switch (s['ddns.provider']) {
    case 'dyndns2': {
      const hp = splitHostPort(s['ddns.server']);
      if (!hp) throw new DdclientConfigError('Update server must be host[:port]');
      // A dyndns2 server on the LAN rarely has a certificate; anything beyond it gets HTTPS.
      const ssl = isLanAddress(hp.host) ? 'no' : 'yes';
      lines.push(`protocol=dyndns2, ssl=${ssl}, server=${bareWord(s['ddns.server'], 'Update server')}, \\`, `login=${bareWord(s['ddns.username'], 'User name')}, \\`);
      lines.push(`${secret(s['ddns.password'])} \\`, host);
      break;
    }
    case 'noip':
    case 'freedns':
      lines.push(`protocol=${s['ddns.provider']}, ssl=yes, login=${bareWord(s['ddns.username'], 'User name')}, \\`, `${secret(s['ddns.password'])} \\`, host);
      break;
    case 'duckdns':
      // ddclient wants the DuckDNS name without its domain.
      lines.push('protocol=duckdns, ssl=yes, \\', `${secret(s['ddns.token'])} \\`, host.replace(/\.duckdns\.org$/, ''));
      break;
    case 'cloudflare':
      // login=token selects Cloudflare's API-token authentication (the token is the password).
      lines.push(`protocol=cloudflare, ssl=yes, zone=${bareWord(s['ddns.zone'], 'Zone')}, ttl=1, login=token, \\`, `${secret(s['ddns.token'])} \\`, host);
      break;
  }
  return lines.join('\n') + '\n';
}

export interface DdnsCacheEntry {
  readonly host: string;
  readonly ip: string | null;
  readonly status: string | null;
  /** When the address was last changed at the provider (ISO), and when ddclient last tried. */
  readonly mtime: string | null;
  readonly atime: string | null;
}

function epoch(v: string | undefined): string | null {
  const n = Number(v);
  return v && Number.isFinite(n) && n > 0 ? new Date(n * 1000).toISOString() : null;
}

/** ddclient's cache: one line per host, `key=value,…  host`; values may be URL-encoded. */
export function parseDdclientCache(text: string): DdnsCacheEntry[] {
  const out: DdnsCacheEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    if (sp < 0) continue;
    const host = line.slice(sp + 1);
    const vars: Record<string, string> = {};
    for (const kv of line.slice(0, sp).split(',')) {
      const eq = kv.indexOf('=');
      if (eq < 0) continue;
      let v = kv.slice(eq + 1);
      try {
        v = decodeURIComponent(v);
      } catch {
        // Keep it as written.
      }
      vars[kv.slice(0, eq).trim()] = v;
    }
    out.push({
      host,
      ip: vars.ipv4 || vars.ip || null,
      // ddclient 3.11 records ipv4/status-ipv4; 3.10 records ip/status and leaves status-ipv4 at 'noconnect'.
      status: (vars.ipv4 ? vars['status-ipv4'] : vars.status) || vars.status || null,
      mtime: epoch(vars.mtime),
      atime: epoch(vars.atime),
    });
  }
  return out;
}
