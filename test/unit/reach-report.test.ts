// The reachability report's rules: every verdict rests on the evidence named, and nothing is claimed
// without it (appliance/src/reach/reachability.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReport, friendAddress, type ReachInputs, type ReachEntry } from '../../appliance/src/reach/reachability.js';
import type { MappingSnapshot } from '../../appliance/src/reach/mapping-flow.js';

function flow(family: 4 | 6, patch: Partial<MappingSnapshot> = {}): MappingSnapshot {
  return {
    family, state: 'off', protocol: null, label: null, gateway: null, internalPort: 22124, externalAddress: '', noPublicAddress: false,
    externalPort: 0, lifetimeS: 0, mappedAt: null, expiresAt: null, renewals: 0, remaps: 0, lastError: null, tried: [], nextAttemptAt: null,
    ...patch,
  };
}

const MAPPED = flow(4, { state: 'mapped', protocol: 'pcp', label: 'PCP', gateway: '192.168.77.1', externalAddress: '11.77.0.1', externalPort: 22124, lifetimeS: 3600 });

function inputs(patch: Partial<ReachInputs> = {}): ReachInputs {
  return {
    mode: 'private', port: 22124, mappingEnabled: true,
    mapping: { ipv4: flow(4), ipv6: flow(6) },
    registration: { status: 'not_registered', directory: '', lastError: null },
    hairpin: null, inbound: { ipv4: null, ipv6: null }, publicIpSetting: '', ddns: null,
    ipv6: { address: null, serverListens: false },
    ...patch,
  };
}

function of(i: ReachInputs, kind: ReachEntry['kind']): [string, string, string] {
  const e = buildReport(i).entries.find((x) => x.kind === kind)!;
  return [e.verdict, e.reason, e.next];
}

test('IPv4: a mapping on a public address is "likely"; a musician from outside or the hairpin makes it proven', () => {
  assert.deepEqual(of(inputs({ mapping: { ipv4: MAPPED, ipv6: flow(6) } }), 'ipv4'), ['likely', 'mapped', 'test_with_friend']);
  assert.deepEqual(
    of(inputs({ mapping: { ipv4: MAPPED, ipv6: flow(6) }, inbound: { ipv4: { address: '203.0.113.2', at: '2026-01-01T00:00:00Z' }, ipv6: null } }), 'ipv4'),
    ['proven', 'inbound_connection', 'none'],
  );
  const hairpin = { ok: true, address: '11.77.0.1', port: 22124, at: '2026-01-01T00:00:00Z', rttMs: 1 };
  assert.deepEqual(of(inputs({ mapping: { ipv4: MAPPED, ipv6: flow(6) }, hairpin }), 'ipv4'), ['proven', 'hairpin_ok', 'none']);
  assert.deepEqual(of(inputs({ mapping: { ipv4: MAPPED, ipv6: flow(6) }, hairpin: { ...hairpin, ok: false, rttMs: null } }), 'ipv4')[0], 'likely', 'a failed hairpin proves nothing');
  assert.deepEqual(of(inputs({ mapping: { ipv4: MAPPED, ipv6: flow(6) }, hairpin: { ...hairpin, port: 22120 } }), 'ipv4')[0], 'likely', 'a probe of another port proves nothing');
});

test('IPv4: shared, private or no external address, no protocol, refusal, switched off, still searching', () => {
  const m = (p: Partial<MappingSnapshot>): ReachInputs => inputs({ mapping: { ipv4: flow(4, p), ipv6: flow(6) } });
  assert.deepEqual(of(m({ ...MAPPED, externalAddress: '100.64.1.2' }), 'ipv4'), ['not_reachable', 'cgnat', 'public_mode_or_ipv6']);
  assert.deepEqual(of(m({ ...MAPPED, externalAddress: '192.168.1.2' }), 'ipv4'), ['not_reachable', 'double_nat', 'public_mode_or_ipv6']);
  assert.deepEqual(of(m({ ...MAPPED, externalAddress: '' }), 'ipv4'), ['not_reachable', 'no_public_ipv4', 'public_mode_or_ipv6']);
  assert.deepEqual(of(m({ state: 'refused', externalAddress: '100.64.77.1' }), 'ipv4'), ['not_reachable', 'cgnat', 'public_mode_or_ipv6']);
  assert.deepEqual(of(m({ state: 'refused', noPublicAddress: true }), 'ipv4'), ['not_reachable', 'no_public_ipv4', 'public_mode_or_ipv6']);
  assert.deepEqual(of(m({ state: 'refused', lastError: 'PCP: not authorized' }), 'ipv4'), ['not_reachable', 'mapping_refused', 'enable_mapping_on_router']);
  assert.deepEqual(of(m({ state: 'no_protocol' }), 'ipv4'), ['not_reachable', 'no_mapping_protocol', 'forward_manually']);
  assert.deepEqual(of(m({ state: 'discovering' }), 'ipv4'), ['unknown', 'mapping_pending', 'wait']);
  assert.deepEqual(of(inputs({ mappingEnabled: false }), 'ipv4'), ['unknown', 'mapping_off', 'forward_manually']);
  const cg = buildReport(m({ ...MAPPED, externalAddress: '100.64.1.2' })).entries[0]!;
  assert.equal(cg.address, null, 'no address a friend could use');
});

test('public mode: the directory\'s confirmation is "likely", anything else unknown', () => {
  const reg = { status: 'registered', directory: 'anygenre1.jamulus.app', lastError: null };
  assert.deepEqual(of(inputs({ mode: 'public', registration: reg }), 'ipv4'), ['likely', 'directory_registered', 'none']);
  assert.deepEqual(of(inputs({ mode: 'public', registration: { ...reg, status: 'time_out' } }), 'ipv4'), ['unknown', 'directory_not_registered', 'check_directory']);
});

test('DDNS: takes the verdict of the address it points to; elsewhere or unresolved is not reachable', () => {
  const base = { mapping: { ipv4: MAPPED, ipv6: flow(6) } };
  assert.deepEqual(of(inputs({ ...base, ddns: { host: 'band.example.org', addresses: ['11.77.0.1'], error: null } }), 'ddns'), ['likely', 'ddns_points_here', 'test_with_friend']);
  assert.deepEqual(of(inputs({ ...base, ddns: { host: 'band.example.org', addresses: ['198.51.100.9'], error: null } }), 'ddns'), ['not_reachable', 'ddns_points_elsewhere', 'check_ddns']);
  assert.deepEqual(of(inputs({ ...base, ddns: { host: 'band.example.org', addresses: [], error: 'ENOTFOUND' } }), 'ddns'), ['not_reachable', 'ddns_unresolved', 'check_ddns']);
  assert.deepEqual(of(inputs({ ddns: { host: 'band.example.org', addresses: ['198.51.100.9'], error: null } }), 'ddns'), ['unknown', 'ddns_current_unknown', 'check_ddns']);
  const v6 = inputs({ ipv6: { address: '2a01:e0a::2', serverListens: true }, mapping: { ipv4: flow(4), ipv6: flow(6, { state: 'mapped', label: 'PCP' }) }, ddns: { host: 'band.example.org', addresses: ['2a01:e0a::2'], error: null } });
  assert.deepEqual(of(v6, 'ddns'), ['likely', 'ddns_points_here', 'test_with_friend']);
  assert.equal(buildReport(inputs()).entries.some((e) => e.kind === 'ddns'), false, 'no DDNS entry when it is off');
});

test('IPv6: no address, an IPv4-only server, a pinhole, an inbound musician, a router that cannot be asked', () => {
  assert.deepEqual(of(inputs(), 'ipv6'), ['not_reachable', 'no_global_ipv6', 'ask_provider_ipv6']);
  const own = { address: '2a01:e0a::2', serverListens: true };
  assert.deepEqual(of(inputs({ ipv6: { ...own, serverListens: false } }), 'ipv6'), ['not_reachable', 'server_ipv4_only', 'none']);
  assert.deepEqual(of(inputs({ ipv6: own, mapping: { ipv4: flow(4), ipv6: flow(6, { state: 'mapped', label: 'PCP' }) } }), 'ipv6'), ['likely', 'pinhole', 'test_with_friend']);
  assert.deepEqual(of(inputs({ ipv6: own, mapping: { ipv4: flow(4), ipv6: flow(6, { state: 'no_protocol' }) } }), 'ipv6'), ['unknown', 'pinhole_unsupported', 'open_ipv6_firewall']);
  assert.deepEqual(of(inputs({ ipv6: own, inbound: { ipv4: null, ipv6: { address: '2a01:e0a:1::5', at: 'x' } } }), 'ipv6'), ['proven', 'inbound_connection', 'none']);
  assert.deepEqual(of(inputs({ ipv6: own, mode: 'public' }), 'ipv6'), ['unknown', 'public_mode_ipv6', 'test_with_friend']);
});

test('what a friend types: the port only off the default, IPv6 then in brackets', () => {
  assert.equal(friendAddress('11.77.0.1', 22124), '11.77.0.1');
  assert.equal(friendAddress('11.77.0.1', 22120), '11.77.0.1:22120');
  assert.equal(friendAddress('2a01:e0a::2', 22124), '2a01:e0a::2');
  assert.equal(friendAddress('2a01:e0a::2', 22120), '[2a01:e0a::2]:22120');
});
