// What the box's own kernel says about its routes and addresses, read from /proc (no process to
// start, no privileges): the default gateways, the global IPv6 addresses, and what kind of address
// an IPv4 or IPv6 address is (public, carrier-grade NAT, private).
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { addressBytes, addressText } from './pcp.js';

export type AddressKind = 'public' | 'cgnat' | 'private' | 'loopback' | 'link-local' | 'unspecified';

function ipv4Number(a: string): number {
  return a.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

function inV4(a: number, base: string, bits: number): boolean {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((a & mask) >>> 0) === ((ipv4Number(base) & mask) >>> 0);
}

/**
 * The kind of an address as a friend on the Internet would see it. `cgnat` is RFC 6598's shared
 * space (the provider's NAT); `private` covers RFC 1918 and RFC 6333's DS-Lite B4 range (192.0.0.0/24),
 * and IPv6 unique-local (fc00::/7). Documentation ranges count as public: no router reports them, and
 * the test networks use them as their Internet.
 */
export function addressKind(address: string): AddressKind {
  const bare = address.replace(/%.*$/, '');
  if (isIPv4(bare)) {
    const n = ipv4Number(bare);
    if (n === 0) return 'unspecified';
    if (inV4(n, '127.0.0.0', 8)) return 'loopback';
    if (inV4(n, '169.254.0.0', 16)) return 'link-local';
    if (inV4(n, '100.64.0.0', 10)) return 'cgnat';
    const privateRanges: Array<[string, number]> = [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['192.0.0.0', 24], ['0.0.0.0', 8], ['240.0.0.0', 4]];
    return privateRanges.some(([b, bits]) => inV4(n, b, bits)) ? 'private' : 'public';
  }
  if (isIPv6(bare)) {
    const b = addressBytes(bare);
    if (b.every((x) => x === 0)) return 'unspecified';
    if (b.subarray(0, 15).every((x) => x === 0) && b[15] === 1) return 'loopback';
    if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return addressKind(addressText(b));
    if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'link-local';
    if ((b[0]! & 0xfe) === 0xfc) return 'private';
    // Only 2000::/3 is global unicast.
    return (b[0]! & 0xe0) === 0x20 ? 'public' : 'private';
  }
  return 'unspecified';
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

/** The IPv4 default gateway (lowest metric), from /proc/net/route; null without one. */
export async function defaultGatewayIPv4(routeFile = '/proc/net/route'): Promise<string | null> {
  let best: { gw: string; metric: number } | null = null;
  for (const line of (await readText(routeFile)).split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[1] !== '00000000' || f[7] !== '00000000') continue;
    const hex = f[2]!;
    // Little-endian hex of the address.
    const gw = [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
    const metric = Number(f[6]);
    if (gw !== '0.0.0.0' && (!best || metric < best.metric)) best = { gw, metric };
  }
  return best?.gw ?? null;
}

function hexToIPv6(hex: string): string {
  return addressText(Buffer.from(hex, 'hex'));
}

/** The IPv6 default router (usually link-local, so with its %interface), from /proc/net/ipv6_route. */
export async function defaultGatewayIPv6(routeFile = '/proc/net/ipv6_route'): Promise<string | null> {
  let best: { gw: string; metric: number } | null = null;
  for (const line of (await readText(routeFile)).split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^0{32}$/.test(f[0]!) || f[1] !== '00' || /^0{32}$/.test(f[4]!)) continue;
    const gw = hexToIPv6(f[4]!);
    const iface = f[9]!;
    const metric = parseInt(f[5]!, 16);
    if (iface === 'lo') continue;
    const scoped = addressKind(gw) === 'link-local' ? `${gw}%${iface}` : gw;
    if (!best || metric < best.metric) best = { gw: scoped, metric };
  }
  return best?.gw ?? null;
}

export interface GlobalIPv6 {
  address: string;
  iface: string;
  prefix: number;
  /** A privacy (temporary) address: friends should be given the stable one. */
  temporary: boolean;
}

const IFA_F_TEMPORARY = 0x01;
const IFA_F_DADFAILED = 0x08;
const IFA_F_DEPRECATED = 0x20;
const IFA_F_TENTATIVE = 0x40;

/** The box's usable global IPv6 addresses (2000::/3), stable ones first, from /proc/net/if_inet6. */
export async function globalIPv6Addresses(file = '/proc/net/if_inet6'): Promise<GlobalIPv6[]> {
  const out: GlobalIPv6[] = [];
  for (const line of (await readText(file)).split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^[0-9a-f]{32}$/i.test(f[0]!)) continue;
    const flags = parseInt(f[4]!, 16);
    if (flags & (IFA_F_DADFAILED | IFA_F_DEPRECATED | IFA_F_TENTATIVE)) continue;
    const address = hexToIPv6(f[0]!);
    if (addressKind(address) !== 'public') continue;
    out.push({ address, iface: f[5]!, prefix: parseInt(f[2]!, 16), temporary: (flags & IFA_F_TEMPORARY) !== 0 });
  }
  return out.sort((a, b) => Number(a.temporary) - Number(b.temporary));
}

/**
 * The box's own address on the path to `host`: "connecting" a UDP socket picks the route and source
 * without sending anything. '' when there is no route.
 */
export function sourceAddressTowards(host: string): Promise<string> {
  const bare = host.replace(/%.*$/, '');
  return new Promise((resolve) => {
    const s = dgram.createSocket(isIPv6(bare) ? 'udp6' : 'udp4');
    const done = (addr: string): void => {
      try {
        s.close();
      } catch {
        // already closed
      }
      resolve(addr);
    };
    s.once('error', () => done(''));
    s.connect(9, host, () => {
      try {
        done(s.address().address);
      } catch {
        done('');
      }
    });
  });
}
