// What the box's services say about themselves, gathered through their control links: the one code
// path behind the admin's Status page and `riffbox status`, so the two can never disagree.
import { ServiceUnavailableError, type LinkFailure, type ServiceLink } from './service-link.js';
import type { ClientStats } from '../client/client-options.js';

export interface Unavailable {
  readonly up: false;
  readonly kind: LinkFailure;
  readonly reason: string;
}

export interface ServerStatus {
  readonly up: true;
  readonly name: string;
  readonly port: number;
  readonly mode: 'private' | 'public';
  readonly maxClients: number;
  /** Null in private mode. */
  readonly registration: { readonly status: string; readonly lastError: string | null; readonly directory?: string } | null;
  readonly musicians: readonly string[];
}

export interface ClientStatus {
  readonly up: true;
  readonly state: ClientStats['state'];
  /** What the client joins, as configured ("127.0.0.1", "host:port"), and where that resolved. */
  readonly server: string | null;
  readonly serverAddress: string | null;
  readonly device: { readonly name: string; readonly state: string; readonly error: string | null };
  readonly overallDelayMs: number | null;
}

export interface BoxStatus {
  readonly server: ServerStatus | Unavailable;
  readonly client: ClientStatus | Unavailable;
  /** Both services answered: what a monitoring script wants to know. */
  readonly healthy: boolean;
}

function unavailable(e: unknown): Unavailable {
  if (e instanceof ServiceUnavailableError) return { up: false, kind: e.kind, reason: e.reason };
  // The link is up but the call failed (a time-out, an internal error): reachable in name only.
  return { up: false, kind: 'unreachable', reason: (e as Error).message };
}

export async function serverStatus(link: ServiceLink): Promise<ServerStatus | Unavailable> {
  try {
    return { up: true, ...(await link.call<Omit<ServerStatus, 'up'>>('riffbox/getStatus')) };
  } catch (e) {
    return unavailable(e);
  }
}

export async function clientStatus(link: ServiceLink): Promise<ClientStatus | Unavailable> {
  try {
    const s = await link.call<ClientStats>('riffbox/getStats');
    return {
      up: true,
      state: s.state,
      server: s.server,
      serverAddress: s.serverAddress,
      device: { name: s.device.name, state: s.device.state, error: s.device.error },
      overallDelayMs: s.overallDelayMs,
    };
  } catch (e) {
    return unavailable(e);
  }
}

export async function boxStatus(links: { server: ServiceLink; client: ServiceLink }): Promise<BoxStatus> {
  const [server, client] = await Promise.all([serverStatus(links.server), clientStatus(links.client)]);
  return { server, client, healthy: server.up && client.up };
}

/** The plain-text report `riffbox status` prints (the admin renders the same facts in its page). */
export function formatBoxStatus(s: BoxStatus): string {
  const lines: string[] = [];
  const srv = s.server;
  if (srv.up) {
    lines.push(`server: running on udp/${srv.port}, ${srv.mode} mode, "${srv.name}"`);
    if (srv.registration) {
      const err = srv.registration.lastError ? ` (${srv.registration.lastError})` : '';
      lines.push(`  directory registration: ${srv.registration.status}${err}`);
    }
    lines.push(`  musicians (${srv.musicians.length}/${srv.maxClients}): ${srv.musicians.length ? srv.musicians.join(', ') : 'nobody'}`);
  } else {
    lines.push(`server: ${srv.kind === 'not-running' ? 'not running' : 'cannot be reached'}: ${srv.reason}`);
  }
  const cl = s.client;
  if (cl.up) {
    const where = cl.server ? ` ${cl.state === 'connected' ? 'to' : 'with'} ${cl.server}${cl.serverAddress && cl.serverAddress !== cl.server ? ` (${cl.serverAddress})` : ''}` : '';
    const delay = cl.overallDelayMs !== null ? `, overall delay ${cl.overallDelayMs} ms` : '';
    lines.push(`client: ${cl.state}${where}${delay}`);
    lines.push(`  device: ${cl.device.name} (${cl.device.state}${cl.device.error ? `: ${cl.device.error}` : ''})`);
  } else {
    lines.push(`client: ${cl.kind === 'not-running' ? 'not running' : 'cannot be reached'}: ${cl.reason}`);
  }
  return lines.join('\n');
}
