// Which mapping protocol the router speaks. All three are asked at once with requests that change
// nothing (PCP ANNOUNCE, NAT-PMP's external-address request, an SSDP search); PCP is preferred (it
// reports restarts and makes IPv6 pinholes), then NAT-PMP, then UPnP IGD.
import { PcpSession } from './pcp-session.js';
import { NatPmpSession } from './nat-pmp-session.js';
import { UpnpSession } from './upnp-session.js';
import { NoAnswerError } from './gateway-exchange.js';
import { defaultGatewayIPv4, defaultGatewayIPv6 } from './local-addresses.js';
import type { Discovery } from './mapping-flow.js';
import type { MappingSession } from './mapping-session.js';

function why(e: unknown): string {
  return e instanceof NoAnswerError ? 'no answer' : (e as Error).message;
}

async function firstOf(candidates: Array<{ name: string; p: Promise<MappingSession> }>): Promise<Discovery> {
  const tried: string[] = [];
  // All run at once; those after the one chosen run to their time-outs and are ignored.
  for (const c of candidates) c.p.catch(() => undefined);
  for (const c of candidates) {
    try {
      const session = await c.p;
      tried.push(`${c.name}: answered`);
      return { session, tried };
    } catch (e) {
      tried.push(`${c.name}: ${why(e)}`);
    }
  }
  return { session: null, tried };
}

/** A router for an IPv4 port mapping, through the IPv4 default gateway. */
export async function discoverIPv4(searchMs: number): Promise<Discovery> {
  const gw = await defaultGatewayIPv4();
  if (!gw) return { session: null, tried: ['no IPv4 default gateway'] };
  const pcp = new PcpSession(gw);
  const pmp = new NatPmpSession(gw);
  return firstOf([
    { name: 'PCP', p: pcp.announce().then(() => pcp) },
    { name: 'NAT-PMP', p: pmp.externalAddress().then(() => pmp) },
    { name: 'UPnP', p: UpnpSession.discover(searchMs, gw).then((s) => s ?? Promise.reject(new Error('no gateway device answered the search'))) },
  ]);
}

/** A router for an IPv6 pinhole for `address` (the box's global IPv6 address, on `iface`). */
export async function discoverIPv6(address: string, iface: string, searchMs: number): Promise<Discovery> {
  const gw = await defaultGatewayIPv6();
  const candidates: Array<{ name: string; p: Promise<MappingSession> }> = [];
  if (gw) {
    const pcp = new PcpSession(gw, address);
    candidates.push({ name: 'PCP', p: pcp.announce().then(() => pcp) });
  }
  candidates.push({
    name: 'UPnP',
    p: UpnpSession.discover(searchMs, gw?.replace(/%.*$/, '') ?? null, address, iface).then((s) => s ?? Promise.reject(new Error('no gateway device with an IPv6 firewall service answered'))),
  });
  const d = await firstOf(candidates);
  return gw ? d : { ...d, tried: ['PCP: no IPv6 default router', ...d.tried] };
}
