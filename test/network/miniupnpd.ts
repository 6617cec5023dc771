// Debian's miniupnpd (nftables back-end) as the home router's port-mapping daemon, in the hrouter
// namespace, with a configuration file of the test's own. It answers NAT-PMP and PCP on one socket
// behind one switch (enable_natpmp); to meet a router that speaks only some of them, the router's
// input chain drops the others' datagrams by their version byte (0 NAT-PMP, 2 PCP).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ProcessGroup, ManagedProcess } from '../harness/processes.js';
import { ADDR, type HomeNetwork } from './netns.js';

export type MappingProtocolName = 'upnp' | 'nat-pmp' | 'pcp';

export interface MiniupnpdOptions {
  protocols: readonly MappingProtocolName[];
  /** PCP's shortest lease (min_lifetime; the default 120 s would hide renewals in a short test). */
  minLifetimeS?: number;
  /** Report IGD:1 instead of IGD:2. */
  igdV1?: boolean;
  /** ext_ifname6: the IPv6 upstream interface, for pinholes. */
  ipv6?: boolean;
}

export interface Miniupnpd {
  process: ManagedProcess;
  /** The DNAT rules miniupnpd has in its chain now, one line each. */
  rules(): Promise<string[]>;
  /** True while a UDP mapping to the box's `port` is in miniupnpd's table. */
  hasMapping(port: number): Promise<boolean>;
  /** IPv6 pinhole rules (filter chain `miniupnpd`, matching the IPv6 destination address). */
  pinholes(): Promise<string[]>;
  leases(): string;
  stop(): Promise<void>;
  /** Kills it (a router reboot loses its table: the rules are flushed) and starts it again. */
  restart(): Promise<void>;
}

let counter = 0;

function config(o: MiniupnpdOptions, leaseFile: string): string {
  const natpmp = o.protocols.includes('nat-pmp') || o.protocols.includes('pcp');
  return [
    'ext_ifname=wan0',
    ...(o.ipv6 ? ['ext_ifname6=wan0'] : []),
    'listening_ip=lan0',
    'http_port=0',
    `enable_upnp=${o.protocols.includes('upnp') ? 'yes' : 'no'}`,
    `enable_natpmp=${natpmp ? 'yes' : 'no'}`,
    'secure_mode=yes',
    'system_uptime=no',
    'notify_interval=30',
    'clean_ruleset_interval=600',
    `lease_file=${leaseFile}`,
    `min_lifetime=${o.minLifetimeS ?? 120}`,
    'uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b',
    'upnp_table_name=filter',
    'upnp_nat_table_name=filter',
    'upnp_forward_chain=miniupnpd',
    'upnp_nat_chain=prerouting_miniupnpd',
    'upnp_nat_postrouting_chain=postrouting_miniupnpd',
    ...(o.igdV1 ? ['force_igd_desc_v1=yes'] : []),
    `allow 1024-65535 ${ADDR.box.split('.').slice(0, 3).join('.')}.0/24 1024-65535`,
    'deny 0-65535 0.0.0.0/0 0-65535',
    '',
  ].join('\n');
}

export async function startMiniupnpd(group: ProcessGroup, net: HomeNetwork, o: MiniupnpdOptions): Promise<Miniupnpd> {
  const id = ++counter;
  const conf = group.path(`miniupnpd-${id}.conf`);
  const leaseFile = group.path(`miniupnpd-${id}.leases`);
  writeFileSync(conf, config(o, leaseFile));
  // Byte 0 of the UDP payload is the version: 0 NAT-PMP, 2 PCP. miniupnpd answers PCP over IPv6 even
  // with enable_natpmp=no, so a protocol left out is dropped here in any case.
  for (const [name, version] of [['nat-pmp', '0'], ['pcp', '2']] as const) {
    if (o.protocols.includes(name)) continue;
    await net.exec('hrouter', 'nft', ['add', 'rule', 'inet', 'filter', 'input', 'iifname', 'lan0', 'udp', 'dport', '5351', '@th,64,8', version, 'drop']);
  }
  let generation = 0;
  const spawn = async (): Promise<ManagedProcess> => {
    generation++;
    const p = group.spawn(`miniupnpd-${id}-${generation}`, ...net.command('hrouter', '/usr/sbin/miniupnpd', ['-d', '-f', conf, '-P', group.path(`miniupnpd-${id}.pid`)]));
    // Ready once its listeners are open (PCP/NAT-PMP on 5351, or the UPnP HTTP port).
    await p.waitForLine(/Listening for NAT-PMP|HTTP listening on port/, 10000, 'both');
    await new Promise((r) => setTimeout(r, 200));
    return p;
  };
  let proc = await spawn();
  const chain = (name: string): Promise<string[]> =>
    net.exec('hrouter', 'nft', ['list', 'chain', 'inet', 'filter', name]).then((t) => t.split('\n').map((l) => l.trim()).filter((l) => /dnat|accept/.test(l)));
  const m: Miniupnpd = {
    get process() {
      return proc;
    },
    rules: () => chain('prerouting_miniupnpd'),
    hasMapping: async (port) => (await chain('prerouting_miniupnpd')).some((l) => l.includes(`dport ${port} `) && l.includes(`to ${ADDR.box}:${port}`)),
    pinholes: () => chain('miniupnpd').then((ls) => ls.filter((l) => l.includes('@nh,192,128') || l.includes('ip6 daddr'))),
    leases: () => {
      try {
        return readFileSync(leaseFile, 'utf8');
      } catch {
        return '';
      }
    },
    stop: async () => {
      await proc.stop();
    },
    restart: async () => {
      await proc.stop();
      // What a reboot leaves: no mappings, no lease file (a home router keeps it in RAM).
      for (const c of ['prerouting_miniupnpd', 'postrouting_miniupnpd', 'miniupnpd']) await net.exec('hrouter', 'nft', ['flush', 'chain', 'inet', 'filter', c]);
      rmSync(leaseFile, { force: true });
      proc = await spawn();
    },
  };
  return m;
}

