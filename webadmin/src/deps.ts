// What every page handler needs, built once by createApp().
import type { SettingsStore } from '../../appliance/src/settings/index.js';
import type { Helper } from './helper.js';
import type { ClientLiveState, ServiceLink } from './services.js';
import type { CachedInfo } from './cached-info.js';
import type { AdminStore } from './security/admin-store.js';
import type { AttemptGuard } from './security/throttle.js';
import type { MixdownJobs } from './mixdown-jobs.js';

export interface AdminDeps {
  /** settings.db, with the admin's store behind its secret settings. */
  readonly store: SettingsStore;
  /** The admin's own database: password hash, sessions, claim code (only the admin's user opens it). */
  readonly admin: AdminStore;
  /** Guessing limits: one for the admin password (login and re-checks), one for the claim code. */
  readonly guards: { readonly password: AttemptGuard; readonly claim: AttemptGuard };
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
