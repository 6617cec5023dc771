// What every page handler needs, built once by createApp().
import type { SettingsStore } from '../../appliance/src/settings/index.js';
import type { Helper } from './helper.js';
import type { ClientLiveState, ServiceLink } from './services.js';
import type { CachedInfo } from './cached-info.js';
import type { MixdownJobs } from './mixdown-jobs.js';

export interface AdminDeps {
  readonly store: SettingsStore;
  readonly helper: Helper;
  readonly server: ServiceLink;
  readonly client: ServiceLink;
  readonly clientLive: ClientLiveState;
  readonly info: CachedInfo;
  /** Mixdowns of recorded sessions being made. */
  readonly mixdowns: MixdownJobs;
  /** Set the Secure cookie attribute (only when served over HTTPS by a proxy). */
  readonly secureCookies: boolean;
}
