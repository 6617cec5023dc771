// Starts `riffbox server` (the compiled CLI) for a test, with a free port and JSON-RPC, inside a ProcessGroup
// so it is stopped by PID whatever happens.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ProcessGroup, ManagedProcess } from '../../harness/processes.js';
import { freeTcpPort, freeUdpPort, randomSecret } from '../../harness/ports.js';
import { connect, type JsonRpcClient } from '../../harness/jsonrpc-client.js';
import type { EngineStats } from '../../../appliance/src/server/engine-options.js';

export const CLI = fileURLToPath(new URL('../../../appliance/src/cli.js', import.meta.url));

export interface RiffboxServerOptions {
  port?: number;
  fastUpdate?: boolean;
  maxClients?: number;
  welcome?: string;
  name?: string;
  extraArgs?: string[];
}

export interface RiffboxServer {
  process: ManagedProcess;
  port: number;
  /** "127.0.0.1:PORT" */
  address: string;
  rpc: JsonRpcClient;
  rpcPort: number;
  secretFile: string;
  /** riffbox/getServerStats: the engine's counters and the main thread's live handles by kind. */
  stats(): Promise<EngineStats & { mainThreadResources: Record<string, number> }>;
}

export async function startRiffboxServer(g: ProcessGroup, o: RiffboxServerOptions = {}): Promise<RiffboxServer> {
  const port = o.port ?? (await freeUdpPort());
  const rpcPort = await freeTcpPort();
  const secret = randomSecret();
  const secretFile = g.path(`riffbox-server-${port}.secret`);
  writeFileSync(secretFile, secret + '\n', { mode: 0o600 });
  const args = [CLI, 'server', '--no-port-mapping', '--port', String(port), '--jsonrpc-port', String(rpcPort), '--jsonrpc-secret-file', secretFile];
  if (o.fastUpdate) args.push('--fast-update');
  if (o.maxClients !== undefined) args.push('--max-clients', String(o.maxClients));
  if (o.welcome !== undefined) args.push('--welcome', o.welcome);
  if (o.name !== undefined) args.push('--name', o.name);
  args.push(...(o.extraArgs ?? []));
  const p = g.spawn(`riffbox-server-${port}`, process.execPath, args);
  await p.waitForLine(new RegExp(`riffbox server listening on udp/${port}`), 15000);
  const rpc = await connect(rpcPort, secret);
  g.onCleanup(() => rpc.close());
  return {
    process: p,
    port,
    address: `127.0.0.1:${port}`,
    rpc,
    rpcPort,
    secretFile,
    stats: () => rpc.call('riffbox/getServerStats'),
  };
}
