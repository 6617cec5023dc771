// The server's JSON-RPC methods, in the shape of Jamulus's API (§8.3) so existing Jamulus tooling works,
// plus riffbox/* methods. Runs on the main thread; every call reaches the engine through its worker bridge.
import { JsonRpcServer, type RpcParams } from '../control/jsonrpc-server.js';
import { RpcError, RpcErrorCode } from '../control/rpc-error.js';
import { readSecretFile } from '../control/secret.js';
import { settingDef, type FlatSettings } from '../settings/schema.js';
import { countryName } from '../settings/countries.js';
import { directoryTypeOf, genreDirectory, directoryAddress } from '../settings/directories.js';
import { ANNOUNCED_VERSION } from './server-facts.js';
import type { ServerRuntime } from './server-runtime.js';
import { LIMITS } from '../protocol/index.js';
import { registerRecorderMethods } from './recorder-rpc.js';

export interface ServerControl {
  rpc: JsonRpcServer;
  close(): Promise<void>;
}

export interface ServerControlOptions {
  runtime: ServerRuntime;
  /** Settings as a fresh start would see them (store, then command-line flags); throws on a bad store. */
  reloadSettings: (() => FlatSettings) | null;
  port: number;
  /** The Unix socket the admin and `riffbox status` use (service-paths.ts), when a settings database is in use. */
  socketPath?: string;
  secretFile: string;
}

function stringParam(params: RpcParams, key: string): string {
  const v = params[key];
  if (typeof v !== 'string') throw new TypeError(`${key} must be a string`);
  return v;
}

function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

export async function startServerControl(o: ServerControlOptions): Promise<ServerControl> {
  const rpc = new JsonRpcServer({ port: o.port, socketPath: o.socketPath, host: '127.0.0.1', secret: readSecretFile(o.secretFile) });
  const { runtime } = o;
  // The engine is replaced on a port change, so every call looks the current one up.
  const host = (): ServerRuntime['host'] => runtime.host;
  // Settings the methods report and change live; the settings store is written only by the admin.
  const live = (): FlatSettings => runtime.settings;

  rpc.register('jamulus/getMode', () => ({ mode: 'server' }));
  rpc.register('jamulus/getVersion', () => ({ version: ANNOUNCED_VERSION }));

  rpc.register('jamulusserver/getClients', async () => {
    const clients = await host().getClients();
    return {
      clients: clients.map((c) => ({
        id: c.id,
        address: c.address,
        name: c.name,
        jitterBufferSize: c.jitterBufferSize,
        channels: c.channels,
        instrumentCode: c.instrumentCode,
        city: c.city,
        countryName: countryName(c.countryCode),
        skillLevelCode: c.skillLevelCode,
      })),
      connections: clients.length,
    };
  });

  rpc.register('jamulusserver/getServerProfile', () => {
    const s = live();
    const reg = runtime.registrar.snapshot();
    const isPublic = s['server.mode'] === 'public';
    const dir = isPublic ? directoryAddress(s['server.directory']) : '';
    const type = isPublic ? directoryTypeOf(s['server.directory']) : 'none';
    return {
      name: s['server.name'],
      city: s['server.city'],
      countryId: s['server.country'],
      welcomeMessage: s['server.welcome'],
      // 3.9.1 key, then its 3.10+ name, then 3.12's pair (directoryAddress is the custom address, as in Jamulus).
      directoryServer: dir,
      directory: dir,
      directoryType: type,
      directoryAddress: genreDirectory(s['server.directory']) ? '' : s['server.directory'],
      registrationStatus: reg.status,
    };
  });

  rpc.register('jamulusserver/setDirectory', async (p) => {
    const type = p.directoryType;
    if (typeof type !== 'string') throw new RpcError(RpcErrorCode.INVALID_PARAMS, 'Invalid params: directory type is not a string');
    const address = p.directoryAddress;
    if (address !== undefined && typeof address !== 'string') {
      throw new RpcError(RpcErrorCode.INVALID_PARAMS, 'Invalid params: directory address is not a string');
    }
    if (type === 'none') {
      await runtime.setDirectory('private', '');
      return 'ok';
    }
    let value: string;
    if (type === 'custom') {
      if (!address) throw new RpcError(RpcErrorCode.INVALID_PARAMS, 'Invalid params: directory address is required when directory type is "custom"');
      value = address;
    } else {
      // Jamulus: an unknown type string means the default directory.
      value = genreDirectory(type)?.type ?? 'any_genre_1';
    }
    const checked = settingDef('server.directory').field.check(value, 'Directory');
    if (!checked.ok) throw new RpcError(RpcErrorCode.INVALID_PARAMS, checked.error);
    await runtime.setDirectory('public', checked.value);
    return 'ok';
  });

  rpc.register('riffbox/getRegistration', () => {
    const s = live();
    return { mode: s['server.mode'], ...runtime.registrar.snapshot() };
  });

  /**
   * `riffbox/getReachability` → for each address a friend could use (`ipv4`, `ddns`, `ipv6`) a verdict
   * (`proven` | `likely` | `not_reachable` | `unknown`), a reason code and the owner's next step
   * (appliance/src/reach/reachability.ts lists them), plus the router mappings and the last hairpin
   * probe. May take up to 2 s: it probes the box's own public address and resolves the DDNS name.
   */
  rpc.register('riffbox/getReachability', () => runtime.reach.report());

  /** `riffbox/getPortMapping` → the router mappings only (IPv4 port, IPv6 pinhole), at once. */
  rpc.register('riffbox/getPortMapping', () => {
    const s = live();
    return { mode: s['server.mode'], enabled: s['server.portMapping'], port: runtime.host.port, ...runtime.reach.mapper.snapshot() };
  });

  // What `riffbox status` and the admin's Status page show, in one call: the port and mode the
  // running server uses (flags may differ from the store), its registration and who is playing.
  rpc.register('riffbox/getStatus', async () => {
    const s = live();
    const clients = await host().getClients();
    return {
      name: s['server.name'],
      port: runtime.host.port,
      mode: s['server.mode'],
      maxClients: s['server.maxClients'],
      registration: s['server.mode'] === 'public' ? runtime.registrar.snapshot() : null,
      musicians: clients.map((c) => c.name),
    };
  });

  rpc.register('riffbox/reload', async () => {
    if (!o.reloadSettings) throw new RpcError(RpcErrorCode.INVALID_REQUEST, 'riffbox/reload needs a settings database (--db)');
    let next: FlatSettings;
    try {
      next = o.reloadSettings();
    } catch (e) {
      throw new RpcError(RpcErrorCode.INVALID_PARAMS, `settings not applied: ${(e as Error).message}`);
    }
    try {
      const r = await runtime.apply(next);
      return { changed: r.changed, restarted: r.restarted, port: r.port, registrationStatus: runtime.registrar.registrationStatus };
    } catch (e) {
      throw new RpcError(RpcErrorCode.INTERNAL_ERROR, `settings not applied, still running on udp/${runtime.host.port}: ${(e as Error).message}`);
    }
  });

  rpc.register('jamulusserver/setServerName', async (p) => {
    const name = stringParam(p, 'serverName');
    if (name.length > LIMITS.serverName) throw new RpcError(RpcErrorCode.INVALID_PARAMS, `serverName is longer than ${LIMITS.serverName} characters`);
    const s = live();
    runtime.setServerInfo({ name, city: s['server.city'], country: s['server.country'] });
    return 'ok';
  });

  rpc.register('jamulusserver/setWelcomeMessage', async (p) => {
    const text = stringParam(p, 'welcomeMessage');
    await runtime.setWelcome(text.slice(0, LIMITS.chatTyped));
    return 'ok';
  });

  rpc.register('jamulusserver/broadcastChatMessage', async (p) => {
    const text = stringParam(p, 'chatMessage');
    if (text.length === 0 || text.length > LIMITS.chatTyped) {
      throw new RpcError(RpcErrorCode.INVALID_PARAMS, `chatMessage must be 1 to ${LIMITS.chatTyped} characters`);
    }
    await host().broadcastChat(text);
    return 'ok';
  });

  registerRecorderMethods(rpc, runtime);
  // The engine's counters, and the main thread's live handles by kind (timers, sockets…): a leak of either
  // shows as a count that keeps growing while clients come and go.
  rpc.register('riffbox/getServerStats', async () => ({ ...(await host().getStats()), mainThreadResources: countResources() }));
  rpc.register('riffbox/getClientDetails', () => host().getClients());

  runtime.on('event', (e) => {
    switch (e.event) {
      case 'clientConnected':
        rpc.notify('jamulusserver/clientConnected', { id: e.id, address: e.address, totalChannels: e.totalChannels });
        return;
      case 'clientDisconnected':
        rpc.notify('jamulusserver/clientDisconnected', { id: e.id });
        return;
      case 'chatMessageReceived':
        rpc.notify('jamulusserver/chatMessageReceived', { id: e.id, chatMessage: e.chatMessage });
        return;
      default:
        return;
    }
  });

  await rpc.listen();
  return { rpc, close: () => rpc.close() };
}
