// A network namespace from which datagrams reach the server with forged source addresses (needs root):
//
//   root namespace: the server on 0.0.0.0, reached at 198.18.0.1 (veth), route 198.18.0.0/15 → the namespace
//   namespace riffbox-t-<pid>-spoof-<tag>: 198.18.0.2, runs spoofer.ts
//
// nftables in the namespace rewrites each outgoing datagram's source address (stateless, no conntrack): a
// per-rule counter (numgen) walks an address range, and the datagram's length picks the range, so a round of
// the spoofer's datagrams shares one address per kind. Replies to the forged addresses are routed back into
// the namespace, counted there, and go nowhere: the bytes sent and received are the amplification a
// reflector would give. 198.18.0.0/15 is the range set aside for benchmarking (RFC 2544).
import { randomBytes } from 'node:crypto';
import { NS_PREFIX, run, sweepStaleNamespaces } from '../../network/netns.js';

/** UDP payload sizes of the spoofer's datagrams (IPv4 + UDP add 28 bytes on the wire). */
export const SPOOF_PAYLOAD_BYTES = { audio: 46, audioBeforeAck: 47, ack: 11, request: 9 } as const;
/** Forged addresses per kind: "audio only" (and the list requests) from one range, "audio + guessed ACK" from the next. */
export const SPOOF_ADDRESSES_PER_KIND = 50_000;
const WIRE = 28;
const SERVER_SIDE = '198.18.0.1';
const NS_SIDE = '198.18.0.2';
const SPOOF_NET = '198.18.0.0/15';
/** First forged address, 198.18.1.0, as a number; the ranges follow one another. */
const FIRST = 198 * 2 ** 24 + 18 * 2 ** 16 + 1 * 2 ** 8;

export interface SpoofCounters {
  sentPackets: number;
  sentBytes: number;
  backPackets: number;
  backBytes: number;
  /** Of the replies: to the "audio only / list request" range, and to the "audio + guessed ACK" range. */
  backToAudioOnly: number;
  backToGuessers: number;
}

function dotted(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export class SpoofNet {
  readonly ns: string;
  readonly hostIf: string;
  /** Where the spoofer sends to reach the server. */
  readonly serverAddress = SERVER_SIDE;
  private destroyed = false;

  private constructor(tag: string) {
    this.ns = `${NS_PREFIX}${process.pid}-spoof-${tag}`;
    // Interface names are at most 15 characters.
    this.hostIf = `rbsp${tag}`;
  }

  /** Why the test cannot run here, or null. */
  static async unavailable(): Promise<string | null> {
    if (process.getuid?.() !== 0) return 'needs root (network namespaces, veth, nftables)';
    try {
      await run('nft', ['--version']);
      const routes = await run('ip', ['route', 'show', SPOOF_NET]);
      if (routes.trim() !== '') return `${SPOOF_NET} is already routed here: ${routes.trim()}`;
    } catch (e) {
      return (e as Error).message;
    }
    return null;
  }

  /** Builds the namespace; `serverPort` is where the server listens (the rules only touch datagrams to it). */
  static async build(serverPort: number): Promise<SpoofNet> {
    await sweepStaleNamespaces();
    const net = new SpoofNet(randomBytes(3).toString('hex'));
    try {
      await net.setUp(serverPort);
    } catch (e) {
      await net.destroy();
      throw e;
    }
    return net;
  }

  /** [command, args] running `cmd` inside the namespace (for ProcessGroup.spawn). */
  command(cmd: string, args: readonly string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', this.ns, cmd, ...args]];
  }

  private async setUp(serverPort: number): Promise<void> {
    await run('ip', ['netns', 'add', this.ns]);
    await run('ip', ['-n', this.ns, 'link', 'set', 'lo', 'up']);
    await run('ip', ['link', 'add', this.hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.ns]);
    await run('ip', ['addr', 'add', `${SERVER_SIDE}/30`, 'dev', this.hostIf]);
    await run('ip', ['link', 'set', this.hostIf, 'up']);
    await run('ip', ['-n', this.ns, 'addr', 'add', `${NS_SIDE}/30`, 'dev', 'eth0']);
    await run('ip', ['-n', this.ns, 'link', 'set', 'eth0', 'up']);
    await run('ip', ['-n', this.ns, 'route', 'add', 'default', 'via', SERVER_SIDE]);
    // Through the namespace's side as a gateway: one neighbour entry, not one per forged address.
    await run('ip', ['route', 'add', SPOOF_NET, 'via', NS_SIDE, 'dev', this.hostIf]);
    const n = SPOOF_ADDRESSES_PER_KIND;
    const b = SPOOF_PAYLOAD_BYTES;
    const rangeA = `${dotted(FIRST)}-${dotted(FIRST + n - 1)}`;
    const rangeB = `${dotted(FIRST + n)}-${dotted(FIRST + 2 * n - 1)}`;
    const rules = `
table ip riffbox_spoof {
  counter sent {}
  counter back {}
  counter back_a {}
  counter back_b {}
  chain out {
    type filter hook output priority raw; policy accept;
    udp dport ${serverPort} meta length ${b.audio + WIRE} ip saddr set numgen inc mod ${n} offset ${FIRST} counter name sent
    udp dport ${serverPort} meta length ${b.request + WIRE} ip saddr set numgen inc mod ${n} offset ${FIRST} counter name sent
    udp dport ${serverPort} meta length ${b.audioBeforeAck + WIRE} ip saddr set numgen inc mod ${n} offset ${FIRST + n} counter name sent
    udp dport ${serverPort} meta length ${b.ack + WIRE} ip saddr set numgen inc mod ${n} offset ${FIRST + n} counter name sent
  }
  chain in {
    type filter hook prerouting priority raw; policy accept;
    udp sport ${serverPort} counter name back
    udp sport ${serverPort} ip daddr ${rangeA} counter name back_a
    udp sport ${serverPort} ip daddr ${rangeB} counter name back_b
  }
}
`;
    await run('ip', ['netns', 'exec', this.ns, 'nft', '-f', '-'], rules);
  }

  async counters(): Promise<SpoofCounters> {
    const json = JSON.parse(await run('ip', ['netns', 'exec', this.ns, 'nft', '-j', 'list', 'counters'])) as {
      nftables: Array<{ counter?: { name: string; packets: number; bytes: number } }>;
    };
    const c = new Map(json.nftables.flatMap((e) => (e.counter ? [[e.counter.name, e.counter] as const] : [])));
    const get = (name: string): { packets: number; bytes: number } => c.get(name) ?? { packets: 0, bytes: 0 };
    return {
      sentPackets: get('sent').packets,
      sentBytes: get('sent').bytes,
      backPackets: get('back').packets,
      backBytes: get('back').bytes,
      backToAudioOnly: get('back_a').packets,
      backToGuessers: get('back_b').packets,
    };
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    // Deleting the namespace takes the veth pair with it, and the route through it.
    await run('ip', ['netns', 'del', this.ns]).catch(() => undefined);
    await run('ip', ['link', 'del', this.hostIf]).catch(() => undefined);
    await run('ip', ['route', 'del', SPOOF_NET]).catch(() => undefined);
  }
}
