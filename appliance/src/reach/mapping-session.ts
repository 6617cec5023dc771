// What port-mapper.ts needs from a protocol once discovery found a gateway that speaks it: create or
// renew the mapping, delete it, and tell whether the gateway still has it (a router restart loses
// every mapping). PCP, NAT-PMP and UPnP IGD each implement it in their own *-session.ts.

export type MappingProtocol = 'pcp' | 'nat-pmp' | 'upnp';

export interface MappingResult {
  /** The router's external address ('' when it has none to give, e.g. no public IPv4 on DS-Lite). */
  externalAddress: string;
  externalPort: number;
  /** Granted lease; 0 = permanent (old UPnP routers that know no other). */
  lifetimeS: number;
}

export interface MappingSession {
  readonly protocol: MappingProtocol;
  /** 'PCP', 'NAT-PMP', 'UPnP IGD v1', 'UPnP IGD v2'. */
  readonly label: string;
  readonly gateway: string;
  /** Creates the mapping, or renews it when it exists. Rejects with RefusedError when the router says no. */
  map(internalPort: number, externalPort: number, lifetimeS: number): Promise<MappingResult>;
  /** Deletes the mapping made by map(); resolves even if the router already forgot it. */
  unmap(): Promise<void>;
  /** 'lost' when the router no longer has the mapping (restart, table flushed). Rejects when the router does not answer. */
  check(): Promise<'ok' | 'lost'>;
}

/** The router answered and refused (not authorised, no resources, port taken…). */
export class RefusedError extends Error {
  /**
   * @param externalAddress the router's external address when its refusal told it (a PCP answer
   *   carries it even when the mapping failed: a CGNAT or private address explains the refusal)
   * @param noPublicAddress the router said it has no usable external address (NAT-PMP result 3,
   *   PCP NETWORK_FAILURE, UPnP's empty ExternalIPAddress): no public IPv4 on this line
   */
  constructor(readonly protocol: string, message: string, readonly externalAddress = '', readonly noPublicAddress = false) {
    super(`${protocol}: ${message}`);
    this.name = 'RefusedError';
  }
}

/**
 * RFC 6887 §8.5 (and RFC 6886 §3.6): the router's epoch counts seconds since its mapping state began.
 * If it went backwards, or advanced clearly less than our own clock, the router restarted and lost
 * every mapping.
 */
export class EpochWatch {
  private prev: { server: number; clientMs: number } | null = null;

  /** Records an epoch; true when it shows the router lost its state since the previous one. */
  observe(serverEpoch: number, nowMs = Date.now()): boolean {
    const prev = this.prev;
    this.prev = { server: serverEpoch, clientMs: nowMs };
    if (!prev) return false;
    if (serverEpoch < prev.server - 1) return true;
    const clientDelta = (nowMs - prev.clientMs) / 1000;
    const serverDelta = serverEpoch - prev.server;
    return clientDelta + 2 < serverDelta - serverDelta / 16 || serverDelta + 2 < clientDelta - clientDelta / 16;
  }

  reset(): void {
    this.prev = null;
  }
}
