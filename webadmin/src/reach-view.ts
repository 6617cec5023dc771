// Words for what the server reports about reachability and port mapping: the Status page's
// "can your friends get in?" rows and the Network page's mapping card. The server sends codes with
// parameters (riffbox/getReachability, riffbox/getPortMapping); the wording lives in i18n/reach.ts.
import type { Translator, MessageKey } from './i18n/index.js';
import type { ReachEntry, Verdict } from '../../appliance/src/reach/reachability.js';
import type { MappingSnapshot } from '../../appliance/src/reach/mapping-flow.js';
import { addressKind } from '../../appliance/src/reach/local-addresses.js';

export interface ReachRow {
  kind: string;
  address: string;
  verdict: Verdict;
  verdictText: string;
  /** ok | warn | bad, for the pill's colour. */
  tone: string;
  reason: string;
  next: string;
}

const TONE: Readonly<Record<Verdict, string>> = { proven: 'ok', likely: 'ok', unknown: 'warn', not_reachable: 'bad' };

function localTime(iso: string | number | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

export function reachRows(entries: readonly ReachEntry[], port: number, t: Translator): ReachRow[] {
  return entries.map((e) => {
    const vars: Record<string, string | number> = { ...e.params, port };
    if (typeof vars.at === 'string') vars.at = localTime(vars.at);
    return {
      kind: t(`reachKind_${e.kind}` as MessageKey),
      address: e.address ?? t('reachNone'),
      verdict: e.verdict,
      verdictText: t(`verdict_${e.verdict}` as MessageKey),
      tone: TONE[e.verdict],
      reason: t(`reason_${e.reason}` as MessageKey, vars),
      next: e.next === 'none' ? '' : t(`next_${e.next}` as MessageKey, vars),
    };
  });
}

export interface PortMapAnswer {
  mode: 'private' | 'public';
  enabled: boolean;
  port: number;
  ipv4: MappingSnapshot;
  ipv6: MappingSnapshot;
}

export interface PortMapView {
  /** One line each, in order; `tone` colours the first. */
  lines: string[];
  tone: string;
  mapped: boolean;
  ipv6: string | null;
}

export function portMapView(a: PortMapAnswer | null, t: Translator): PortMapView | null {
  if (!a) return null;
  const m = a.ipv4;
  if (a.mode === 'public') return { lines: [t('pmPublic')], tone: 'ok', mapped: false, ipv6: null };
  if (!a.enabled) return { lines: [t('pmOff')], tone: 'warn', mapped: false, ipv6: null };
  const lines: string[] = [];
  let tone = 'warn';
  switch (m.state) {
    case 'mapped': {
      const external = `${m.externalAddress || '?'}:${m.externalPort}`;
      lines.push(t('pmMapped', { protocol: m.label ?? '', gateway: m.gateway ?? '', external }));
      lines.push(m.expiresAt ? t('pmLease', { until: localTime(m.expiresAt), renewals: m.renewals }) : t('pmPermanent'));
      const kind = m.externalAddress ? addressKind(m.externalAddress) : 'unspecified';
      if (kind === 'public') tone = 'ok';
      else {
        tone = 'bad';
        lines.push(t(kind === 'cgnat' ? 'pmCgnat' : kind === 'unspecified' ? 'pmNoPublicIpv4' : 'pmDoubleNat', { external: m.externalAddress }));
      }
      break;
    }
    case 'no_protocol':
      tone = 'bad';
      lines.push(t('pmNoProtocol', { tried: m.tried.join('; ') }));
      break;
    case 'refused': {
      tone = 'bad';
      lines.push(t('pmRefused', { error: m.lastError ?? '' }));
      const kind = m.externalAddress ? addressKind(m.externalAddress) : 'unspecified';
      if (kind === 'cgnat') lines.push(t('pmCgnat', { external: m.externalAddress }));
      else if (m.externalAddress && kind !== 'public') lines.push(t('pmDoubleNat', { external: m.externalAddress }));
      else if (m.noPublicAddress) lines.push(t('pmNoPublicIpv4'));
      break;
    }
    case 'failed':
      tone = 'bad';
      lines.push(t('pmFailed', { error: m.lastError ?? '' }));
      break;
    default:
      lines.push(t('pmSearching'));
  }
  const v6 = a.ipv6;
  const ipv6 = v6.state === 'mapped' ? t('pmIpv6Open', { address: v6.externalAddress, port: v6.externalPort, protocol: v6.label ?? '' }) : null;
  return { lines, tone, mapped: m.state === 'mapped', ipv6 };
}
