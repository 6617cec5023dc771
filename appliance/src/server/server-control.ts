// The server's JSON-RPC methods, in the shape of Jamulus's API (§8.3) so existing Jamulus tooling works,
// plus riffbox/* methods. Runs on the main thread; every call reaches the engine through its worker bridge.
import { JsonRpcServer, type RpcParams } from '../control/jsonrpc-server.js';
import { RpcError, RpcErrorCode } from '../control/rpc-error.js';
import { readSecretFile } from '../control/secret.js';
import type { FlatSettings } from '../settings/schema.js';
import type { SettingsStore } from '../settings/store.js';
import { countryName } from '../settings/countries.js';
import type { ServerEngineHost } from './engine-host.js';
import { ANNOUNCED_VERSION } from './server-facts.js';
import { LIMITS } from '../protocol/index.js';

export interface ServerControl {
  rpc: JsonRpcServer;
  close(): Promise<void>;
}

export interface ServerControlOptions {
  host: ServerEngineHost;
  settings: FlatSettings;
  store: SettingsStore | null;
  port: number;
  secretFile: string;
}

function stringParam(params: RpcParams, key: string): string {
  const v = params[key];
  if (typeof v !== 'string') throw new TypeError(`${key} must be a string`);
  return v;
}

export async function startServerControl(o: ServerControlOptions): Promise<ServerControl> {
  const rpc = new JsonRpcServer({ port: o.port, host: '127.0.0.1', secret: readSecretFile(o.secretFile) });
  const { host } = o;
  // Live values the methods report and change; the settings store is written only by the admin.
  const profile = {
    name: o.settings['server.name'],
    city: o.settings['server.city'],
    country: o.settings['server.country'],
    welcome: o.settings['server.welcome'],
  };

  rpc.register('jamulus/getMode', () => ({ mode: 'server' }));
  rpc.register('jamulus/getVersion', () => ({ version: ANNOUNCED_VERSION }));

  rpc.register('jamulusserver/getClients', async () => {
    const clients = await host.getClients();
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

  rpc.register('jamulusserver/getServerProfile', () => ({
    name: profile.name,
    city: profile.city,
    countryId: profile.country,
    welcomeMessage: profile.welcome,
    directoryServer: '',
    directory: '',
    directoryType: 'none',
    directoryAddress: '',
    registrationStatus: 'not_registered',
  }));

  rpc.register('jamulusserver/setServerName', async (p) => {
    const name = stringParam(p, 'serverName');
    if (name.length > LIMITS.serverName) throw new RpcError(RpcErrorCode.INVALID_PARAMS, `serverName is longer than ${LIMITS.serverName} characters`);
    profile.name = name;
    await host.setServerInfo({ name: profile.name, city: profile.city, country: profile.country });
    return 'ok';
  });

  rpc.register('jamulusserver/setWelcomeMessage', async (p) => {
    const text = stringParam(p, 'welcomeMessage');
    profile.welcome = text.slice(0, LIMITS.chatTyped);
    await host.setWelcomeMessage(profile.welcome);
    return 'ok';
  });

  rpc.register('jamulusserver/broadcastChatMessage', async (p) => {
    const text = stringParam(p, 'chatMessage');
    if (text.length === 0 || text.length > LIMITS.chatTyped) {
      throw new RpcError(RpcErrorCode.INVALID_PARAMS, `chatMessage must be 1 to ${LIMITS.chatTyped} characters`);
    }
    await host.broadcastChat(text);
    return 'ok';
  });

  rpc.register('riffbox/getServerStats', () => host.getStats());
  rpc.register('riffbox/getClientDetails', () => host.getClients());

  host.on('event', (e) => {
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
