// SSDP discovery of an Internet Gateway Device (UPnP Device Architecture 1.1 §1.3): an M-SEARCH to
// the multicast group on the LAN, and the LOCATION of each answer. Only a description URL on the
// answering host itself is taken, so a stray answer cannot point the box at some other server.
import dgram from 'node:dgram';

const SSDP_GROUP = '239.255.255.250';
/** The link-local SSDP group for IPv6 (UDA 1.1 §1.1.2). */
const SSDP_GROUP6 = 'ff02::c';
const SSDP_PORT = 1900;
/** An IGD:2 device also answers IGD:1 searches; asking for both finds either kind. */
const SEARCH_TARGETS = ['urn:schemas-upnp-org:device:InternetGatewayDevice:2', 'urn:schemas-upnp-org:device:InternetGatewayDevice:1'];

export interface SsdpAnswer {
  /** The description URL. */
  location: string;
  /** The answering host. */
  from: string;
  st: string;
}

function searchMessage(st: string, mx: number): Buffer {
  return Buffer.from(`M-SEARCH * HTTP/1.1\r\nHOST: ${SSDP_GROUP}:${SSDP_PORT}\r\nMAN: "ssdp:discover"\r\nMX: ${mx}\r\nST: ${st}\r\n\r\n`);
}

/**
 * Parses an SSDP answer's headers; null when it is not an HTTP 200 answer with a usable LOCATION.
 * `alsoAllowed`: a LOCATION host other than the sender that may be trusted (over IPv6 a router answers
 * from its link-local address and names its global one).
 */
export function parseSsdpAnswer(text: string, from: string, alsoAllowed: (host: string) => boolean = () => false): SsdpAnswer | null {
  const lines = text.split(/\r?\n/);
  if (!/^HTTP\/1\.[01] 200/.test(lines[0] ?? '')) return null;
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  const location = headers.get('location') ?? '';
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return null;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol !== 'http:' || (host !== from.replace(/%.*$/, '') && !alsoAllowed(host))) return null;
  return { location: url.toString(), from, st: headers.get('st') ?? '' };
}

/**
 * Searches for `timeoutMs` and resolves with every IGD that answered, first answer first. Resolves
 * early, `graceMs` after the first answer from `prefer` (the default gateway).
 */
export function searchIgd(timeoutMs: number, prefer: string | null = null, graceMs = 150, over?: IPv6Search): Promise<SsdpAnswer[]> {
  return new Promise((resolve) => {
    const found: SsdpAnswer[] = [];
    const socket = dgram.createSocket({ type: over ? 'udp6' : 'udp4', reuseAddr: false });
    const group = over ? `${SSDP_GROUP6}%${over.iface}` : SSDP_GROUP;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // already closed
      }
      found.sort((a, b) => Number(b.from === prefer) - Number(a.from === prefer));
      resolve(found);
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('error', finish);
    socket.on('message', (msg, rinfo) => {
      const a = parseSsdpAnswer(msg.subarray(0, 4096).toString('latin1'), rinfo.address, over?.allowHost);
      if (!a || found.some((f) => f.location === a.location)) return;
      found.push(a);
      if (a.from === prefer) setTimeout(finish, graceMs);
    });
    const bound = (): void => {
      try {
        socket.setMulticastTTL(2);
      } catch {
        // keep the default TTL
      }
      const mx = Math.max(1, Math.min(5, Math.floor(timeoutMs / 1000)));
      const send = (): void => {
        for (const st of SEARCH_TARGETS) socket.send(searchMessage(st, mx), SSDP_PORT, group, () => undefined);
      };
      send();
      // UDP multicast can be lost; one repeat halfway is what most control points do.
      setTimeout(() => {
        if (!finished) send();
      }, Math.min(500, timeoutMs / 2)).unref();
    };
    // Over IPv6 the search leaves from the box's global address, so the router's answer, and the
    // SOAP calls after it, come from the address a pinhole is asked for.
    if (over) socket.bind(0, over.from, bound);
    else socket.bind(0, bound);
  });
}

export interface IPv6Search {
  /** The box's global IPv6 address and its interface. */
  from: string;
  iface: string;
  allowHost: (host: string) => boolean;
}
