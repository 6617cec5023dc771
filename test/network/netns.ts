// A reproduced home network in network namespaces (needs root):
//
//   home (192.168.77.2, the riffbox)            friend (10.77.0.2, a Jamulus client)
//      | eth0                                      | eth0
//      | lan0 192.168.77.1                         | lan0 10.77.0.1
//   hrouter — masquerade, WAN input firewalled,  frouter — masquerade, WAN input firewalled
//      | wan0 203.0.113.1                          | wan0 203.0.113.2
//      +------------- inet: bridge br0 ------------+
//                     203.0.113.10 (the directory), 203.0.113.20 (a host that never answers)
//
// Both routers behave like a typical Linux home router: source NAT with port preservation, no
// unsolicited inbound traffic except through an explicit port forward (DNAT). Dropping unsolicited WAN
// packets before conntrack confirms them matters: a router that answered them with ICMP would keep a
// conntrack entry that steals the port a later outgoing flow needs.
//
// Every namespace is named riffbox-t-<pid>-<tag>-<role>; sweepStaleNamespaces() removes those whose
// test process is gone, so an aborted run never leaves routers behind.
import { execFile } from 'node:child_process';
import { readFileSync, mkdirSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export const NS_PREFIX = 'riffbox-t-';

export const ADDR = Object.freeze({
  box: '192.168.77.2',
  homeLan: '192.168.77.1',
  homeWan: '203.0.113.1',
  friendWan: '203.0.113.2',
  directory: '203.0.113.10',
  silentHost: '203.0.113.20',
  friendLan: '10.77.0.1',
  friend: '10.77.0.2',
  /**
   * A home router WAN address miniupnpd accepts: it refuses to map from reserved ranges, the
   * documentation ones (203.0.113.0/24) included. It exists only inside the test's namespaces, on the
   * same "Internet" bridge, reached through on-link routes.
   */
  mappableWan: '11.77.0.1',
  /** A home router behind the provider's carrier-grade NAT (RFC 6598 shared space). */
  cgnatWan: '100.64.77.1',
});

/**
 * IPv6 (HomeNetworkOptions.ipv6): global unicast prefixes that exist only in the test's namespaces,
 * routed without NAT; each router is its LAN's default router at fe80::1, as routers advertise.
 */
export const ADDR6 = Object.freeze({
  box: '2a0c:77:1::2',
  homeLan: '2a0c:77:1::1',
  homeWan: '2a0c:77:ff::1',
  friendWan: '2a0c:77:ff::2',
  inet: '2a0c:77:ff::fe',
  friendLan: '2a0c:77:2::1',
  friend: '2a0c:77:2::2',
  router: 'fe80::1',
});

export type Role = 'home' | 'hrouter' | 'inet' | 'frouter' | 'friend';
const ROLES: readonly Role[] = ['home', 'hrouter', 'inet', 'frouter', 'friend'];

export function run(cmd: string, args: readonly string[], input?: string, timeoutMs = 10000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, [...args], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message.trim()}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Deletes riffbox-t-* namespaces whose owning test process no longer runs. */
export async function sweepStaleNamespaces(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  const removed: string[] = [];
  for (const line of out.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (!name.startsWith(NS_PREFIX)) continue;
    const pid = Number(name.slice(NS_PREFIX.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) continue;
    await killProcessesIn(name);
    await run('ip', ['netns', 'del', name]).catch(() => undefined);
    removed.push(name);
  }
  for (const dir of safeReaddir('/etc/netns')) {
    const pid = Number(dir.slice(NS_PREFIX.length).split('-')[0]);
    if (dir.startsWith(NS_PREFIX) && !(pid > 0 && pidAlive(pid))) rmSync(`/etc/netns/${dir}`, { recursive: true, force: true });
  }
  return removed;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Last resort for a stale namespace: SIGKILL whatever still runs in it (by PID, from `ip netns pids`). */
async function killProcessesIn(ns: string): Promise<void> {
  const pids = (await run('ip', ['netns', 'pids', ns]).catch(() => '')).split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

export interface HomeNetworkOptions {
  /**
   * nf_conntrack_udp_timeout and _stream in both routers, seconds. Linux defaults are 30/120 (or 180);
   * the tests shorten them so "outlives the router's timeout" takes seconds.
   */
  udpTimeoutS?: number;
  /**
   * /etc/hosts lines per namespace (`ip netns exec` bind-mounts /etc/netns/NAME/hosts over /etc/hosts), so
   * the system resolver finds the directory by name without any DNS server.
   */
  hosts?: Partial<Record<Role, string>>;
  /** The home router's WAN address (default ADDR.homeWan); another subnet than 203.0.113.0/24 is routed on-link. */
  homeWan?: string;
  /** IPv6 everywhere (ADDR6). The routers' firewalls drop unsolicited inbound IPv6 like IPv4. */
  ipv6?: boolean;
  /** DS-Lite style: the home router has no IPv4 upstream of its own (no IPv4 address on its WAN). */
  noIPv4Upstream?: boolean;
}

export class HomeNetwork {
  readonly ns: Readonly<Record<Role, string>>;
  readonly udpTimeoutS: number;
  /** The home router's public (WAN) address: what friends type. */
  readonly homeWan: string;
  private destroyed = false;

  private constructor(tag: string, udpTimeoutS: number, homeWan: string, private readonly opts: HomeNetworkOptions) {
    this.ns = Object.freeze(Object.fromEntries(ROLES.map((r) => [r, `${NS_PREFIX}${process.pid}-${tag}-${r}`])) as Record<Role, string>);
    this.udpTimeoutS = udpTimeoutS;
    this.homeWan = homeWan;
  }

  static async build(opts: HomeNetworkOptions = {}): Promise<HomeNetwork> {
    const homeWan = opts.noIPv4Upstream ? '' : opts.homeWan ?? ADDR.homeWan;
    const net = new HomeNetwork(randomBytes(3).toString('hex'), opts.udpTimeoutS ?? 30, homeWan, opts);
    try {
      // No DNS server exists in this network: point the box's resolver at nothing so that unknown names
      // fail at once (ECONNREFUSED) instead of after the host resolver's time-outs.
      mkdirSync(`/etc/netns/${net.ns.home}`, { recursive: true });
      writeFileSync(`/etc/netns/${net.ns.home}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
      for (const [role, text] of Object.entries(opts.hosts ?? {}) as Array<[Role, string]>) {
        mkdirSync(`/etc/netns/${net.ns[role]}`, { recursive: true });
        writeFileSync(`/etc/netns/${net.ns[role]}/hosts`, `127.0.0.1 localhost\n${text}\n`);
      }
      await net.setUp();
    } catch (e) {
      await net.destroy();
      throw e;
    }
    return net;
  }

  /** [command, args] running `cmd` inside namespace `role` (for ProcessGroup.spawn). */
  command(role: Role, cmd: string, args: readonly string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.ns[role], cmd, ...args]];
  }

  exec(role: Role, cmd: string, args: readonly string[], input?: string): Promise<string> {
    return run('ip', ['netns', 'exec', this.ns[role], cmd, ...args], input);
  }

  private ip(role: Role, ...args: string[]): Promise<string> {
    return run('ip', ['-n', this.ns[role], ...args]);
  }

  private async veth(a: Role, aName: string, b: Role, bName: string): Promise<void> {
    await run('ip', ['link', 'add', aName, 'netns', this.ns[a], 'type', 'veth', 'peer', 'name', bName, 'netns', this.ns[b]]);
  }

  private async setUp(): Promise<void> {
    for (const r of ROLES) {
      await run('ip', ['netns', 'add', this.ns[r]]);
      await this.ip(r, 'link', 'set', 'lo', 'up');
    }
    await this.veth('home', 'eth0', 'hrouter', 'lan0');
    await this.veth('hrouter', 'wan0', 'inet', 'h0');
    await this.veth('frouter', 'wan0', 'inet', 'f0');
    await this.veth('friend', 'eth0', 'frouter', 'lan0');

    await this.ip('inet', 'link', 'add', 'br0', 'type', 'bridge');
    for (const port of ['h0', 'f0']) {
      await this.ip('inet', 'link', 'set', port, 'master', 'br0');
      await this.ip('inet', 'link', 'set', port, 'up');
    }
    await this.ip('inet', 'addr', 'add', `${ADDR.directory}/24`, 'dev', 'br0');
    await this.ip('inet', 'addr', 'add', `${ADDR.silentHost}/24`, 'dev', 'br0');
    await this.ip('inet', 'link', 'set', 'br0', 'up');

    const iface = async (role: Role, dev: string, cidr: string): Promise<void> => {
      await this.ip(role, 'addr', 'add', cidr, 'dev', dev);
      await this.ip(role, 'link', 'set', dev, 'up');
    };
    await iface('home', 'eth0', `${ADDR.box}/24`);
    await this.ip('home', 'route', 'add', 'default', 'via', ADDR.homeLan);
    await iface('hrouter', 'lan0', `${ADDR.homeLan}/24`);
    if (this.homeWan) await iface('hrouter', 'wan0', `${this.homeWan}/24`);
    else await this.ip('hrouter', 'link', 'set', 'wan0', 'up');
    await iface('frouter', 'lan0', `${ADDR.friendLan}/24`);
    await iface('frouter', 'wan0', `${ADDR.friendWan}/24`);
    await iface('friend', 'eth0', `${ADDR.friend}/24`);
    await this.ip('friend', 'route', 'add', 'default', 'via', ADDR.friendLan);
    if (this.homeWan && !this.homeWan.startsWith('203.0.113.')) {
      // One Ethernet segment, two subnets: each side reaches the other on-link.
      const homeNet = `${this.homeWan.split('.').slice(0, 3).join('.')}.0/24`;
      await this.ip('hrouter', 'route', 'add', '203.0.113.0/24', 'dev', 'wan0', 'src', this.homeWan);
      await this.ip('inet', 'route', 'add', homeNet, 'dev', 'br0');
      await this.ip('frouter', 'route', 'add', homeNet, 'dev', 'wan0');
    }

    if (this.opts.ipv6) await this.setUpIPv6();

    for (const r of ['hrouter', 'frouter'] as const) {
      await this.exec(r, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
      await this.exec(r, 'nft', ['-f', '-'], routerRuleset());
      await this.setUdpTimeout(r, this.udpTimeoutS);
    }
  }

  private async setUpIPv6(): Promise<void> {
    // nodad: the addresses are usable at once instead of after duplicate address detection.
    const addr6 = (role: Role, dev: string, cidr: string): Promise<string> => this.ip(role, '-6', 'addr', 'add', cidr, 'dev', dev, 'nodad');
    await addr6('home', 'eth0', `${ADDR6.box}/64`);
    await addr6('hrouter', 'lan0', `${ADDR6.homeLan}/64`);
    await addr6('hrouter', 'lan0', `${ADDR6.router}/64`);
    await addr6('hrouter', 'wan0', `${ADDR6.homeWan}/64`);
    await addr6('inet', 'br0', `${ADDR6.inet}/64`);
    await addr6('frouter', 'wan0', `${ADDR6.friendWan}/64`);
    await addr6('frouter', 'lan0', `${ADDR6.friendLan}/64`);
    await addr6('frouter', 'lan0', `${ADDR6.router}/64`);
    await addr6('friend', 'eth0', `${ADDR6.friend}/64`);
    await this.ip('home', '-6', 'route', 'add', 'default', 'via', ADDR6.router, 'dev', 'eth0');
    await this.ip('friend', '-6', 'route', 'add', 'default', 'via', ADDR6.router, 'dev', 'eth0');
    await this.ip('hrouter', '-6', 'route', 'add', '2a0c:77:2::/64', 'via', ADDR6.friendWan);
    await this.ip('frouter', '-6', 'route', 'add', '2a0c:77:1::/64', 'via', ADDR6.homeWan);
    for (const r of ['hrouter', 'frouter'] as const) await this.exec(r, 'sysctl', ['-q', '-w', 'net.ipv6.conf.all.forwarding=1']);
  }

  async setUdpTimeout(router: 'hrouter' | 'frouter', seconds: number): Promise<void> {
    await this.exec(router, 'sysctl', ['-q', '-w', `net.netfilter.nf_conntrack_udp_timeout=${seconds}`, `net.netfilter.nf_conntrack_udp_timeout_stream=${seconds}`]);
  }

  /**
   * The home router's port forward (UDP only, as the Jamulus guide says): WAN port → box:port. With
   * `hairpin`, the router also loops its public address back to the LAN (NAT loopback), as many do.
   */
  async forward(port: number | null, opts: { hairpin?: boolean } = {}): Promise<void> {
    await this.exec('hrouter', 'nft', ['flush', 'chain', 'ip', 'nat', 'portfwd']);
    await this.exec('hrouter', 'nft', ['flush', 'chain', 'ip', 'nat', 'loopback']);
    await this.exec('hrouter', 'nft', ['flush', 'chain', 'ip', 'nat', 'hairpin']);
    if (port === null) return;
    await this.exec('hrouter', 'nft', ['add', 'rule', 'ip', 'nat', 'portfwd', 'udp', 'dport', String(port), 'dnat', 'to', `${ADDR.box}:${port}`]);
    if (!opts.hairpin || !this.homeWan) return;
    await this.exec('hrouter', 'nft', ['add', 'rule', 'ip', 'nat', 'loopback', 'ip', 'daddr', this.homeWan, 'udp', 'dport', String(port), 'dnat', 'to', `${ADDR.box}:${port}`]);
    await this.exec('hrouter', 'nft', ['add', 'rule', 'ip', 'nat', 'hairpin', 'ip', 'saddr', `${ADDR.box.split('.').slice(0, 3).join('.')}.0/24`, 'ip', 'daddr', ADDR.box, 'udp', 'dport', String(port), 'masquerade']);
  }

  /** UDP conntrack entries of a router, one line each (the kernel's /proc/net/nf_conntrack format). */
  conntrack(router: 'hrouter' | 'frouter'): Promise<string[]> {
    return this.exec(router, 'cat', ['/proc/net/nf_conntrack']).then((t) => t.split('\n').filter((l) => / udp /.test(l)));
  }

  /** Bound UDP ports of a namespace (read from its own /proc/net/udp and udp6). */
  async udpPorts(role: Role): Promise<Set<number>> {
    // Both tables: a dual-stack socket (riffbox on "::", Jamulus -6) is listed in udp6 only.
    const text = await this.exec(role, 'cat', ['/proc/net/udp', '/proc/net/udp6']);
    const ports = new Set<number>();
    for (const line of text.split('\n').slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      if (local) ports.add(parseInt(local.split(':')[1] ?? '0', 16));
    }
    return ports;
  }

  async waitUdpBound(role: Role, port: number, timeoutMs: number, alive: () => boolean = () => true): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await this.udpPorts(role)).has(port)) {
      if (!alive()) throw new Error(`the process that should bind udp/${port} in ${role} is gone`);
      if (Date.now() > deadline) throw new Error(`nothing bound udp/${port} in ${role} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Kills anything left in the namespaces by PID, then deletes them (veths go with them). */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const existing = await run('ip', ['netns', 'list']).catch(() => '');
    for (const r of ROLES) {
      const name = this.ns[r];
      if (!existing.split('\n').some((l) => l.split(' ')[0] === name)) continue;
      await killProcessesIn(name);
      await run('ip', ['netns', 'del', name]).catch(() => undefined);
    }
    for (const r of ROLES) rmSync(`/etc/netns/${this.ns[r]}`, { recursive: true, force: true });
  }
}

function routerRuleset(): string {
  return `
table ip nat {
  chain portfwd {
  }
  # NAT loopback (forward(port, { hairpin: true })): the public address from inside, back to the box.
  chain loopback {
  }
  chain hairpin {
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "wan0" jump portfwd
    iifname "lan0" jump loopback
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" masquerade
    oifname "lan0" jump hairpin
  }
}
table inet filter {
  # The chains miniupnpd (test/network/miniupnpd.ts) fills; its packaged nft_init.sh would create them
  # but sources a file Debian does not ship. Empty, they change nothing for a router without it.
  chain miniupnpd {
  }
  chain prerouting_miniupnpd {
  }
  chain postrouting_miniupnpd {
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wan0" ct state established,related accept
    # IPv6 needs neighbour discovery on every link.
    iifname "wan0" meta l4proto ipv6-icmp accept
    iifname "wan0" drop
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    ct status dnat accept
    iifname "lan0" oifname "wan0" accept
    jump miniupnpd
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    jump prerouting_miniupnpd
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    jump postrouting_miniupnpd
  }
}
`;
}

/** Whether this process can build namespaces (root with ip and nft); tests skip with the reason otherwise. */
export function networkTestsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'network tests need root (ip netns, nftables)';
  try {
    readFileSync('/proc/sys/net/netfilter/nf_conntrack_udp_timeout');
  } catch {
    return 'nf_conntrack is not available in this kernel';
  }
  return null;
}
