// The reachability report: for each address a friend could type (the public IPv4 address, the DDNS
// name, the IPv6 address) one verdict, the reason, and the owner's next step. A pure function of what
// the box has observed, so every rule is testable on its own. It never says more than the evidence:
//   proven         something from outside reached the server (a musician connected from a public
//                  address, or the hairpin probe came back through the router's public address)
//   likely         the router says the way is open (a mapping on a public external address, a pinhole)
//                  or the directory confirmed the registration, but no packet from outside was seen
//   not_reachable  the box knows why friends cannot get in (no mapping made, shared or private
//                  external address, no public IPv4, a DDNS name pointing elsewhere)
//   unknown        the box cannot tell (mapping switched off, still searching, an IPv6 firewall it
//                  cannot ask)
// Reasons and next steps are codes with parameters; the admin page words them (i18n/*.ts).
import { addressKind } from './local-addresses.js';
import type { PortMappingSnapshot } from './port-mapper.js';
import type { ProbeResult } from './hairpin-probe.js';
import { DEFAULT_SERVER_PORT } from '../client/server-address.js';

export type Verdict = 'proven' | 'likely' | 'not_reachable' | 'unknown';

export type ReachReason =
  | 'inbound_connection' | 'hairpin_ok' | 'directory_registered' | 'directory_not_registered'
  | 'mapping_off' | 'mapping_pending' | 'mapped' | 'cgnat' | 'double_nat' | 'no_public_ipv4'
  | 'no_mapping_protocol' | 'mapping_refused' | 'mapping_failed'
  | 'ddns_points_here' | 'ddns_points_elsewhere' | 'ddns_unresolved' | 'ddns_current_unknown'
  | 'no_global_ipv6' | 'server_ipv4_only' | 'public_mode_ipv6' | 'pinhole' | 'pinhole_off'
  | 'pinhole_unsupported' | 'pinhole_refused';

export type NextStep =
  | 'none' | 'wait' | 'forward_manually' | 'public_mode_or_ipv6' | 'enable_mapping_on_router'
  | 'check_directory' | 'check_ddns' | 'ask_provider_ipv6' | 'open_ipv6_firewall' | 'test_with_friend';

export interface ReachEntry {
  kind: 'ipv4' | 'ddns' | 'ipv6';
  /** What a friend types into Jamulus (host, or host:port off the default port); null when there is none. */
  address: string | null;
  verdict: Verdict;
  reason: ReachReason;
  next: NextStep;
  params: Record<string, string | number>;
}

export interface InboundSeen {
  /** The musician's public address (without port). */
  address: string;
  at: string;
}

export interface ReachInputs {
  mode: 'private' | 'public';
  port: number;
  /** The `server.portMapping` setting. */
  mappingEnabled: boolean;
  mapping: PortMappingSnapshot;
  registration: { status: string; directory: string; lastError: string | null };
  /** The last hairpin probe of the IPv4 external address, or null. */
  hairpin: ProbeResult | null;
  inbound: { ipv4: InboundSeen | null; ipv6: InboundSeen | null };
  /** `server.publicIp`, when the owner typed it. */
  publicIpSetting: string;
  /** The DDNS name and what it resolves to now; null when DDNS is off. */
  ddns: { host: string; addresses: string[]; error: string | null } | null;
  /** The box's global IPv6 address, and whether the server accepts IPv6 clients. */
  ipv6: { address: string | null; serverListens: boolean };
}

export interface ReachabilityReport {
  checkedAt: string;
  mode: 'private' | 'public';
  port: number;
  entries: ReachEntry[];
}

/** Host as a friend types it into Jamulus: the port only when it is not the default, IPv6 then in brackets. */
export function friendAddress(host: string, port: number): string {
  if (port === DEFAULT_SERVER_PORT) return host;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const RANK: Readonly<Record<Verdict, number>> = { proven: 3, likely: 2, unknown: 1, not_reachable: 0 };

function entry(kind: ReachEntry['kind'], address: string | null, verdict: Verdict, reason: ReachReason, next: NextStep, params: ReachEntry['params'] = {}): ReachEntry {
  return { kind, address, verdict, reason, next, params };
}

function ipv4Entry(i: ReachInputs): ReachEntry {
  const m = i.mapping.ipv4;
  // A refusal may still tell the router's external address (PCP does): it explains the refusal.
  const external = m.state === 'mapped' || (m.state === 'refused' && m.externalAddress) ? m.externalAddress : i.publicIpSetting;
  const externalPort = m.state === 'mapped' && m.externalPort ? m.externalPort : i.port;
  const kind = external ? addressKind(external) : 'unspecified';
  const address = external && kind === 'public' ? friendAddress(external, externalPort) : null;
  const e = (v: Verdict, r: ReachReason, n: NextStep, p: ReachEntry['params'] = {}): ReachEntry => entry('ipv4', address, v, r, n, p);

  if (i.inbound.ipv4) return e('proven', 'inbound_connection', 'none', { from: i.inbound.ipv4.address, at: i.inbound.ipv4.at });
  const h = i.hairpin;
  if (h?.ok && h.address === external && h.port === externalPort) return e('proven', 'hairpin_ok', 'none', { at: h.at });

  if (i.mode === 'public') {
    const r = i.registration;
    if (r.status === 'registered') return e('likely', 'directory_registered', 'none', { directory: r.directory });
    return e('unknown', 'directory_not_registered', 'check_directory', { directory: r.directory, status: r.status, error: r.lastError ?? '' });
  }
  if (!i.mappingEnabled) return e('unknown', 'mapping_off', 'forward_manually');
  const p = { protocol: m.label ?? '', gateway: m.gateway ?? '', external: m.externalAddress, expiresAt: m.expiresAt ?? '', error: m.lastError ?? '', tried: m.tried.join('; ') };
  switch (m.state) {
    case 'off':
    case 'discovering':
      return e('unknown', 'mapping_pending', 'wait', p);
    case 'mapped':
      if (kind === 'public') return e('likely', 'mapped', 'test_with_friend', p);
      if (kind === 'cgnat') return e('not_reachable', 'cgnat', 'public_mode_or_ipv6', p);
      if (kind === 'unspecified') return e('not_reachable', 'no_public_ipv4', 'public_mode_or_ipv6', p);
      return e('not_reachable', 'double_nat', 'public_mode_or_ipv6', p);
    case 'no_protocol':
      return e('not_reachable', 'no_mapping_protocol', 'forward_manually', p);
    case 'refused':
      if (m.externalAddress && kind === 'cgnat') return e('not_reachable', 'cgnat', 'public_mode_or_ipv6', p);
      if (m.externalAddress && (kind === 'private' || kind === 'link-local')) return e('not_reachable', 'double_nat', 'public_mode_or_ipv6', p);
      if (m.noPublicAddress) return e('not_reachable', 'no_public_ipv4', 'public_mode_or_ipv6', p);
      return e('not_reachable', 'mapping_refused', 'enable_mapping_on_router', p);
    case 'failed':
      return e('unknown', 'mapping_failed', 'forward_manually', p);
  }
}

function ipv6Entry(i: ReachInputs): ReachEntry {
  const own = i.ipv6.address;
  if (!own) return entry('ipv6', null, 'not_reachable', 'no_global_ipv6', 'ask_provider_ipv6');
  const address = friendAddress(own, i.port);
  const e = (v: Verdict, r: ReachReason, n: NextStep, p: ReachEntry['params'] = {}): ReachEntry => entry('ipv6', address, v, r, n, p);
  if (!i.ipv6.serverListens) return e('not_reachable', 'server_ipv4_only', 'none');
  if (i.inbound.ipv6) return e('proven', 'inbound_connection', 'none', { from: i.inbound.ipv6.address, at: i.inbound.ipv6.at });
  if (i.mode === 'public') return e('unknown', 'public_mode_ipv6', 'test_with_friend');
  if (!i.mappingEnabled) return e('unknown', 'pinhole_off', 'open_ipv6_firewall');
  const m = i.mapping.ipv6;
  const p = { protocol: m.label ?? '', gateway: m.gateway ?? '', expiresAt: m.expiresAt ?? '', error: m.lastError ?? '', tried: m.tried.join('; ') };
  switch (m.state) {
    case 'mapped':
      return e('likely', 'pinhole', 'test_with_friend', p);
    case 'no_protocol':
      return e('unknown', 'pinhole_unsupported', 'open_ipv6_firewall', p);
    case 'refused':
    case 'failed':
      return e('unknown', 'pinhole_refused', 'open_ipv6_firewall', p);
    default:
      return e('unknown', 'mapping_pending', 'wait', p);
  }
}

function ddnsEntry(i: ReachInputs, v4: ReachEntry, v6: ReachEntry): ReachEntry | null {
  const d = i.ddns;
  if (!d) return null;
  const address = friendAddress(d.host, i.port);
  if (d.error !== null || d.addresses.length === 0) return entry('ddns', address, 'not_reachable', 'ddns_unresolved', 'check_ddns', { host: d.host, error: d.error ?? '' });
  const current: Array<{ ip: string; e: ReachEntry }> = [];
  const m = i.mapping.ipv4;
  const ext4 = m.state === 'mapped' && m.externalAddress ? m.externalAddress : i.publicIpSetting;
  if (ext4) current.push({ ip: ext4, e: v4 });
  if (i.ipv6.address) current.push({ ip: i.ipv6.address, e: v6 });
  const matches = current.filter((c) => d.addresses.includes(c.ip));
  const params = { host: d.host, resolved: d.addresses.join(', '), current: current.map((c) => c.ip).join(', ') };
  if (matches.length > 0) {
    const best = matches.reduce((a, b) => (RANK[b.e.verdict] > RANK[a.e.verdict] ? b : a));
    return entry('ddns', address, best.e.verdict, 'ddns_points_here', best.e.next, { ...params, via: best.ip });
  }
  if (current.length > 0) return entry('ddns', address, 'not_reachable', 'ddns_points_elsewhere', 'check_ddns', params);
  return entry('ddns', address, 'unknown', 'ddns_current_unknown', 'check_ddns', params);
}

export function buildReport(i: ReachInputs, now = new Date()): ReachabilityReport {
  const v4 = ipv4Entry(i);
  const v6 = ipv6Entry(i);
  const dd = ddnsEntry(i, v4, v6);
  return { checkedAt: now.toISOString(), mode: i.mode, port: i.port, entries: dd ? [v4, dd, v6] : [v4, v6] };
}
