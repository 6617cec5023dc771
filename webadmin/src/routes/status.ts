// Status: what to tell friends, whether the directory listed us, who is playing (with live
// meters), and how the box is doing.
import type { Request, Response } from 'express';
import type { AdminDeps } from '../deps.js';
import { render } from '../render.js';
import { cpuPercent, formatDuration, temperatureC, uptimeSeconds } from '../system-info.js';
import { countryName, instrumentName } from '../../../appliance/src/settings/index.js';
import { friendAddress, type ReachabilityReport } from '../../../appliance/src/reach/reachability.js';
import { reachRows } from '../reach-view.js';
import type { Translator } from '../i18n/index.js';
import { boxStatus } from '../../../appliance/src/control/box-status.js';
import { ServiceUnavailableError } from '../services.js';

/** Host as a friend types it (the port only off the default). */
export const withPort = friendAddress;

interface ClientDetail {
  id: number;
  name: string;
  address?: string;
  level?: number;
  instrumentCode?: number;
  instrument?: number;
  countryCode?: number;
  country?: number;
  city?: string;
}

/** The musicians with meters; `down` says why there are none when the server cannot be asked. */
async function musicians(d: AdminDeps): Promise<{ list: Record<string, unknown>[]; down: { kind: string; reason: string } | null }> {
  try {
    const details = await d.server.call<ClientDetail[]>('riffbox/getClientDetails');
    return {
      list: details.map((c) => ({
        name: c.name,
        level: Math.max(0, Math.min(9, Math.round(c.level ?? 0))),
        instrument: instrumentName(c.instrumentCode ?? c.instrument ?? 0),
        country: countryName(c.countryCode ?? c.country ?? 0),
        city: c.city ?? '',
      })),
      down: null,
    };
  } catch (e) {
    return { list: [], down: e instanceof ServiceUnavailableError ? { kind: e.kind, reason: e.reason } : { kind: 'unreachable', reason: (e as Error).message } };
  }
}

export function statusRoutes(d: AdminDeps) {
  const live = async (): Promise<Record<string, unknown>> => {
    const [m, cpu, temp, up] = await Promise.all([musicians(d), cpuPercent(), temperatureC(), uptimeSeconds()]);
    return { musicians: m.list, serverDown: m.down, cpu, temp, uptime: up === null ? null : formatDuration(up) };
  };

  return {
    async page(req: Request, res: Response): Promise<void> {
      const s = d.store.getFlat();
      const [net, ddns, services, liveCtx] = await Promise.all([
        d.info.network.get(),
        d.info.ddns.get().catch(() => []),
        boxStatus({ server: d.server, client: d.client }),
        live(),
      ]);
      // The running server's port and mode win over the store's: a flag may have overridden them.
      const srv = services.server;
      const port = srv.up ? srv.port : s['server.port'];
      const addresses: { label: string; value: string }[] = [];
      if (net.address) addresses.push({ label: 'addrLan', value: withPort(net.address, port) });
      addresses.push({ label: 'addrMdns', value: withPort(`${s['system.hostname']}.local`, port) });
      const publicIp = s['server.publicIp'] || ddns.find((e) => e.ip)?.ip || '';
      if (publicIp) addresses.push({ label: 'addrPublic', value: withPort(publicIp, port) });
      if (s['ddns.enabled'] && s['ddns.host']) addresses.push({ label: 'addrDdns', value: withPort(s['ddns.host'], port) });
      if (net.ipv6) addresses.push({ label: 'addrIpv6', value: withPort(net.ipv6, port) });
      render(req, res, 'status.njk', {
        mode: srv.up ? srv.mode : s['server.mode'],
        serverName: srv.up ? srv.name : s['server.name'],
        addresses,
        services,
        ...liveCtx,
      });
    },

    /** The reachability rows, loaded after the page (the report may take up to 2 s: it probes and resolves). */
    async reach(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      try {
        const r = await d.server.call<ReachabilityReport>('riffbox/getReachability', {}, 5000);
        render(req, res, '_reach.njk', { rows: reachRows(r.entries, r.port, t), error: '' });
      } catch (e) {
        render(req, res, '_reach.njk', { rows: [], error: (e as Error).message });
      }
    },

    async live(req: Request, res: Response): Promise<void> {
      render(req, res, '_status-live.njk', await live());
    },
  };
}
