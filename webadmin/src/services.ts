// The admin's links to the server and client services (appliance/src/control/service-link.ts), and
// the client's level meters, which arrive as notifications and are kept here for the mix page to poll.
import type { ServiceLink } from '../../appliance/src/control/service-link.js';

export { ServiceLink, ServiceUnavailableError } from '../../appliance/src/control/service-link.js';

/** The client's last level list (0–9 per channel, in client-list order) and musicians, from notifications. */
export class ClientLiveState {
  levels: readonly number[] = [];
  levelsAt = 0;

  constructor(link: ServiceLink) {
    link.onNotification((method, params) => {
      if (method === 'jamulusclient/channelLevelListReceived' && Array.isArray(params.channelLevelList)) {
        this.levels = (params.channelLevelList as unknown[]).map((v) => (typeof v === 'number' ? v : 0));
        this.levelsAt = Date.now();
      } else if (method === 'jamulusclient/disconnected') {
        this.levels = [];
      }
    });
  }

  /** Levels older than this are stale (the client stopped sending them). */
  current(now = Date.now()): readonly number[] {
    return now - this.levelsAt < 3000 ? this.levels : [];
  }
}
