// Connection-less messages (ids 1000–1999) to the server: they come from any address, so every reply goes
// through the send guard's per-source and global budgets (a forged source must not turn the server into a
// reflector: a 9-byte CLM_REQ_CONN_CLIENTS_LIST can fetch a client list of 2 kB).
import { decodeMessage, encodeMessage, MESSAGE_IDS, type ClientListEntry, type Frame } from '../protocol/index.js';
import { ANNOUNCED_OS, ANNOUNCED_VERSION } from './server-facts.js';
import type { SendGuard } from './send-guard.js';
import type { DropCounter } from './engine-drops.js';

export interface ClmContext {
  readonly send: SendGuard;
  readonly drops: DropCounter;
  /** The socket's peer id for an address (IPv4 as itself), its address back, and "address:port" text. */
  peerId(address: string): number;
  peerAddress(addr: number): string | null;
  endpoint(addr: number, port: number): string;
  /** Clients out of probation (what CLM_PING_MS_WITHNUMCLIENTS reports). */
  connectedCount(): number;
  clientList(): ClientListEntry[];
  /** CLM_DISCONNECTION from addr:port (§4.9). */
  disconnect(addr: number, port: number): void;
  /** A message the main thread wants (directory registration replies). */
  forward(name: string, value: unknown, address: string, port: number): void;
}

export class ClmReplies {
  /** CLM messages the main thread wants to see. */
  private readonly forwarded = new Set<number>([MESSAGE_IDS.CLM_REGISTER_SERVER_RESP]);
  /** Only the directory we registered with may ask us to punch a hole (CLM_SEND_EMPTY_MESSAGE). */
  private holePunchSource: number | null = null;

  constructor(private readonly ctx: ClmContext) {}

  /** The directory we register with (or null): the only source whose CLM_SEND_EMPTY_MESSAGE we obey. */
  setHolePunchSource(address: string | null): void {
    this.holePunchSource = address === null ? null : this.ctx.peerId(address);
  }

  onClm(f: Frame, addr: number, port: number, nowMs: number): void {
    const { send, drops } = this.ctx;
    let m;
    try {
      m = decodeMessage(f.id, f.payload);
    } catch (e) {
      return drops.count('clm-invalid', `${this.ctx.endpoint(addr, port)}: ${(e as Error).message}`);
    }
    switch (m.name) {
      case 'CLM_PING_MS':
        return send.reply(encodeMessage('CLM_PING_MS', m.value, 0), addr, port, nowMs);
      case 'CLM_PING_MS_WITHNUMCLIENTS':
        return send.reply(
          encodeMessage('CLM_PING_MS_WITHNUMCLIENTS', { timeMs: m.value.timeMs, numClients: this.ctx.connectedCount() }, 0),
          addr,
          port,
          nowMs,
        );
      case 'CLM_REQ_VERSION_AND_OS':
        return send.reply(encodeMessage('CLM_VERSION_AND_OS', { os: ANNOUNCED_OS, version: ANNOUNCED_VERSION }, 0), addr, port, nowMs);
      case 'CLM_REQ_CONN_CLIENTS_LIST':
        return send.reply(encodeMessage('CLM_CONN_CLIENTS_LIST', { clients: this.ctx.clientList() }, 0), addr, port, nowMs);
      case 'CLM_DISCONNECTION':
        return this.ctx.disconnect(addr, port);
      case 'CLM_SEND_EMPTY_MESSAGE':
        // Hole punching for a client the directory told about; obeyed only from that directory so the
        // server cannot be used to send packets anywhere on a stranger's behalf.
        if (this.holePunchSource !== null && addr === this.holePunchSource) {
          send.control(encodeMessage('CLM_EMPTY_MESSAGE', {}, 0), this.ctx.peerId(m.value.ip), m.value.port);
        } else {
          drops.countFrom('clm-unhandled', addr, port, 'CLM_SEND_EMPTY_MESSAGE not from our directory');
        }
        return;
      default:
        if (this.forwarded.has(f.id)) return this.ctx.forward(m.name, m.value, this.ctx.peerAddress(addr) ?? '', port);
        // Directory requests (list, registration) are not ours to answer; empty messages only keep NATs open.
        if (m.name !== 'CLM_EMPTY_MESSAGE') drops.countFrom('clm-unhandled', addr, port, 'connection-less message ignored, id', f.id);
    }
  }
}
