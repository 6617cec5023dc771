// The client's JSON-RPC methods in the shape of Jamulus's client API (§8.3–8.4), so existing Jamulus
// tooling works against riffbox, plus riffbox/* methods for what Jamulus has no call for (connect,
// devices, pan, solo, figures, reload). Runs on the main thread; the engine is reached through its worker.
import { JsonRpcServer, type RpcParams } from '../control/jsonrpc-server.js';
import { RpcError, RpcErrorCode } from '../control/rpc-error.js';
import { readSecretFile } from '../control/secret.js';
import { countryName } from '../settings/countries.js';
import { instrumentName, isKnownInstrument } from '../settings/instruments.js';
import type { Mix, MixEntry } from '../settings/mix-field.js';
import { MIX_DEFAULT_ENTRY } from '../settings/mix-field.js';
import type { SettingsStore } from '../settings/store.js';
import { LIMITS } from '../protocol/index.js';
import { ANNOUNCED_VERSION } from '../server/server-facts.js';
import type { ClientEngine } from './engine.js';
import type { ClientProfile, RemoteClient } from './client-options.js';
import { parseServerAddress } from './server-address.js';
import { DeviceLister } from './device-list.js';

export interface ClientControl {
  rpc: JsonRpcServer;
  /** The mix the engine runs with changed outside JSON-RPC (a reload). */
  setMix(mix: Mix): void;
  close(): Promise<void>;
}

interface ClientControlOptions {
  host: ClientEngine;
  store: SettingsStore | null;
  mix: Mix;
  device: () => string;
  port: number;
  /** The Unix socket the admin and `riffbox status` use (service-paths.ts), when a settings database is in use. */
  socketPath?: string;
  secretFile: string;
  /** Re-reads the settings store and applies it (riffbox/reload). */
  reload: () => Promise<void>;
}

const SKILL_NAMES = [null, 'beginner', 'intermediate', 'expert'] as const;

function skillName(code: number): string | null {
  return SKILL_NAMES[code] ?? null;
}

function param<T>(params: RpcParams, key: string, check: (v: unknown) => v is T, what: string): T {
  const v = params[key];
  if (!check(v)) throw new TypeError(`${key} must be ${what}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isInt = (min: number, max: number) => (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** One musician as Jamulus's clientListReceived describes them. */
function clientJson(c: RemoteClient): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    skillLevel: skillName(c.skill),
    countryId: c.country,
    country: countryName(c.country),
    city: c.city,
    instrumentId: c.instrument,
    instrument: instrumentName(c.instrument),
  };
}

export async function startClientControl(o: ClientControlOptions): Promise<ClientControl> {
  const rpc = new JsonRpcServer({ port: o.port, socketPath: o.socketPath, host: '127.0.0.1', secret: readSecretFile(o.secretFile) });
  const { host } = o;
  let mix: Mix = o.mix;

  const requireConnected = async (): Promise<void> => {
    if (!(await host.isConnected())) throw new RpcError(RpcErrorCode.CLIENT_FAILURE, 'Client is not connected');
  };

  /** The name on a channel: mix entries are kept per musician name, since ids change on every reconnect. */
  const nameOnChannel = async (params: RpcParams): Promise<string> => {
    const id = param(params, 'channelIndex', isInt(0, LIMITS.maxChannels), `an integer 0…${LIMITS.maxChannels}`);
    const c = (await host.getClients()).find((x) => x.id === id);
    if (!c) throw new RpcError(RpcErrorCode.INVALID_PARAMS, `no musician on channel ${id}`);
    return c.name;
  };

  const updateMix = async (name: string, patch: Partial<MixEntry>): Promise<void> => {
    if (o.store) {
      o.store.setMixEntry(name, patch);
      mix = o.store.getFlat()['client.mix'];
    } else {
      const current = Object.prototype.hasOwnProperty.call(mix, name) ? (mix[name] as MixEntry) : MIX_DEFAULT_ENTRY;
      mix = Object.freeze(Object.fromEntries([...Object.entries(mix), [name, Object.freeze({ ...current, ...patch })]]));
    }
    await host.setMix(mix);
  };

  const setProfile = async (patch: Partial<ClientProfile>): Promise<string> => {
    await host.setProfile(patch);
    return 'ok';
  };

  rpc.register('jamulus/getMode', () => ({ mode: 'client' }));
  rpc.register('jamulus/getVersion', () => ({ version: ANNOUNCED_VERSION }));

  rpc.register('jamulusclient/getClientInfo', async () => ({ connected: await host.isConnected() }));
  rpc.register('jamulusclient/getChannelInfo', async () => {
    const p = await host.getProfile();
    return {
      name: p.name,
      countryId: p.country,
      country: countryName(p.country),
      city: p.city,
      instrumentId: p.instrument,
      instrument: instrumentName(p.instrument),
      skillLevel: skillName(p.skill),
    };
  });
  rpc.register('jamulusclient/getClientList', async () => {
    await requireConnected();
    return { clients: (await host.getClients()).map(clientJson) };
  });
  rpc.register('jamulusclient/setName', (p) => setProfile({ name: param(p, 'name', isString, 'a string').slice(0, LIMITS.name) }));
  rpc.register('jamulusclient/setSkillLevel', async (p) => {
    const v = p.skillLevel;
    if (v === null) {
      await host.setProfile({ skill: 0 });
      return undefined;
    }
    const code = SKILL_NAMES.indexOf(v as never);
    if (code <= 0) throw new TypeError('skillLevel must be "beginner", "intermediate", "expert" or null');
    return setProfile({ skill: code });
  });
  rpc.register('jamulusclient/setInstrumentCode', (p) => {
    const code = param(p, 'instrCode', isInt(0, 0xffffffff), 'an instrument code');
    if (!isKnownInstrument(code)) throw new RpcError(RpcErrorCode.INVALID_PARAMS, `unknown instrument code ${code}`);
    return setProfile({ instrument: code });
  });
  rpc.register('jamulusclient/setFaderLevel', async (p) => {
    const level = param(p, 'level', isInt(0, 100), 'an integer 0…100');
    await updateMix(await nameOnChannel(p), { fader: level });
    return 'ok';
  });
  rpc.register('jamulusclient/setMuted', async (p) => {
    await host.setMuted(param(p, 'muted', isBool, 'true or false'));
    return 'ok';
  });
  rpc.register('jamulusclient/sendChatText', async (p) => {
    const text = param(p, 'chatText', isString, 'a string');
    if (text.length === 0 || text.length > LIMITS.chatTyped) throw new RpcError(RpcErrorCode.INVALID_PARAMS, `chatText must be 1 to ${LIMITS.chatTyped} characters`);
    if (!(await host.sendChat(text))) throw new RpcError(RpcErrorCode.CLIENT_FAILURE, 'Client is not connected');
    return 'ok';
  });

  rpc.register('riffbox/connect', async (p) => {
    const server = p.server === undefined ? undefined : param(p, 'server', isString, 'host[:port]');
    if (server !== undefined) {
      try {
        parseServerAddress(server);
      } catch (e) {
        throw new RpcError(RpcErrorCode.INVALID_PARAMS, (e as Error).message);
      }
    }
    await host.connect(server);
    return 'ok';
  });
  rpc.register('riffbox/disconnect', async () => {
    await host.disconnect();
    return 'ok';
  });
  const lister = new DeviceLister();
  rpc.register('riffbox/listDevices', async () => {
    const current = o.device();
    return { current, devices: await lister.list([current]) };
  });
  rpc.register('riffbox/setPan', async (p) => {
    const pan = param(p, 'pan', isInt(0, 100), 'an integer 0 (left) … 100 (right)');
    await updateMix(await nameOnChannel(p), { pan });
    return 'ok';
  });
  rpc.register('riffbox/setSolo', async (p) => {
    const solo = param(p, 'solo', isBool, 'true or false');
    await updateMix(await nameOnChannel(p), { solo });
    return 'ok';
  });
  rpc.register('riffbox/setChannelMuted', async (p) => {
    const mute = param(p, 'muted', isBool, 'true or false');
    await updateMix(await nameOnChannel(p), { mute });
    return 'ok';
  });
  rpc.register('riffbox/getMix', () => ({ mix }));
  rpc.register('riffbox/getStats', () => host.getStats());
  rpc.register('riffbox/reload', async () => {
    await o.reload();
    return 'ok';
  });

  host.on('event', (e) => {
    switch (e.event) {
      case 'clientId':
        rpc.notify('jamulusclient/connected', { id: e.id });
        return;
      case 'disconnected':
        rpc.notify('jamulusclient/disconnected', {});
        return;
      case 'clientList':
        rpc.notify('jamulusclient/clientListReceived', { clients: e.clients.map(clientJson) });
        return;
      case 'levels':
        rpc.notify('jamulusclient/channelLevelListReceived', { channelLevelList: e.levels });
        return;
      case 'chat':
        rpc.notify('jamulusclient/chatTextReceived', { chatText: e.text });
        return;
      case 'device':
        rpc.notify('riffbox/deviceStateChanged', { state: e.state, error: e.error });
        return;
      case 'connected':
        rpc.notify('riffbox/connected', { server: e.server });
        return;
      default:
        return;
    }
  });

  await rpc.listen();
  return {
    rpc,
    setMix: (m) => {
      mix = m;
    },
    close: async () => {
      await lister.close();
      await rpc.close();
    },
  };
}
