// The whole box on loopback for the browser tests: settings database and JSON-RPC secret, the
// riffbox server and client (on ALSA's `null` device: no sound card needed, real ALSA all the
// same), and the admin as its own process in checkout mode. Every process is killed by PID.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessGroup, type ManagedProcess } from '../harness/processes.js';
import { freeTcpPort, freeUdpPort } from '../harness/ports.js';
import { connect as rpcConnect, type JsonRpcClient } from '../harness/jsonrpc-client.js';
import { SettingsStore } from '../../appliance/src/settings/index.js';
import { readSecretFile } from '../../appliance/src/control/index.js';

export const CLI = fileURLToPath(new URL('../../appliance/src/cli.js', import.meta.url));

export interface Box {
  readonly db: string;
  readonly secretFile: string;
  readonly secret: string;
  readonly root: string;
  readonly serverPort: number;
  readonly adminUrl: string;
  readonly server: ManagedProcess;
  readonly client: ManagedProcess | null;
  readonly admin: ManagedProcess;
  serverRpc(): Promise<JsonRpcClient>;
  clientRpc(): Promise<JsonRpcClient>;
}

/** `adminEnv`: more environment for the admin (e.g. RIFFBOX_USB_DEVICE, the checkout's stand-in USB stick). */
export async function startBox(g: ProcessGroup, opts: { client?: boolean; adminEnv?: Record<string, string> } = {}): Promise<Box> {
  const db = g.path('settings.db');
  const root = g.path('root');
  await g.run('init', process.execPath, [CLI, 'init', '--db', db], { timeoutMs: 20000 });
  const secretFile = join(g.dir, 'jsonrpc.secret');
  statSync(secretFile);
  const secret = readSecretFile(secretFile);
  const serverPort = await freeUdpPort();
  const [serverRpcPort, clientRpcPort, adminPort] = [await freeTcpPort(), await freeTcpPort(), await freeTcpPort()];
  const store = SettingsStore.open(db);
  try {
    store.update({
      'server.port': serverPort,
      'server.jsonrpcPort': serverRpcPort,
      'client.jsonrpcPort': clientRpcPort,
      'client.server': `127.0.0.1:${serverPort}`,
      'client.device': 'null',
      'client.name': 'riffbox',
    });
  } finally {
    store.close();
  }
  const common = ['--db', db, '--jsonrpc-secret-file', secretFile];
  const server = g.spawn('riffbox-server', process.execPath, [CLI, 'server', '--no-port-mapping', ...common]);
  await server.waitForLine(/riffbox server listening/, 20000);
  let client: ManagedProcess | null = null;
  if (opts.client !== false) {
    client = g.spawn('riffbox-client', process.execPath, [CLI, 'client', ...common]);
  }
  const admin = g.spawn('riffbox-admin', process.execPath, [CLI, 'admin', ...common, '--port', String(adminPort), '--bind', '127.0.0.1'], {
    env: { RIFFBOX_ROOT: root, ...opts.adminEnv },
  });
  await admin.waitForLine(/riffbox admin listening on http:\/\/127\.0\.0\.1:\d+/, 20000);
  return {
    db, secretFile, secret, root, serverPort,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    server, client, admin,
    serverRpc: () => rpcConnect(serverRpcPort, secret),
    clientRpc: () => rpcConnect(clientRpcPort, secret),
  };
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const PHONE = { width: 390, height: 844 } as const;
export const SCREENSHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
