// Builds the admin's Express app; server.ts listens. Routes are wired here, in one place, with
// the handlers of each page in routes/ (Express's route-separation example).
import express, { type NextFunction, type Request, type Response } from 'express';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import type { SettingsStore } from '../../appliance/src/settings/index.js';
import type { AdminDeps } from './deps.js';
import { settleLaterChanges } from './apply-changes.js';
import { createEnv, PUBLIC_DIR } from './render.js';
import { securityHeaders, sessionAndCsrf } from './security/middleware.js';
import { HostCheck, type HostCheckOptions } from './security/host-check.js';
import { AttemptGuard, type GuardOptions } from './security/throttle.js';
import type { AdminStore } from './security/admin-store.js';
import { ClientLiveState, ServiceLink } from './services.js';
import { controlSocketPath } from '../../appliance/src/service-paths.js';
import { Helper, type HelperMode } from './helper.js';
import { CachedInfo } from './cached-info.js';
import { authRoutes } from './routes/auth.js';
import { statusRoutes } from './routes/status.js';
import { serverRoutes } from './routes/server.js';
import { networkRoutes } from './routes/network.js';
import { ddnsRoutes } from './routes/ddns.js';
import { clientRoutes } from './routes/client.js';
import { systemRoutes } from './routes/system.js';
import { recordingRoutes } from './routes/recordings.js';
import { recordingSessionRoutes } from './routes/recording-sessions.js';
import { recordingStorageRoutes } from './routes/recording-storage.js';
import { MixdownJobs } from './mixdown-jobs.js';

export interface AdminAppOptions {
  /** settings.db opened with `admin` behind its secret settings (security/open-stores.ts). */
  readonly store: SettingsStore;
  readonly admin: AdminStore;
  readonly helper: HelperMode;
  /** JSON-RPC secret shared with the server and client; undefined leaves both links off. */
  readonly secretFile: string | undefined;
  readonly secureCookies?: boolean;
  /** Tests only: other guessing limits, other addresses for the Host check. */
  readonly guardOptions?: Partial<GuardOptions>;
  readonly hostCheck?: Partial<HostCheckOptions>;
}

export interface AdminApp {
  readonly app: express.Express;
  readonly deps: AdminDeps;
  /** Waits (at most limitMs) for settings a restore or a factory reset is still applying. */
  settle(limitMs: number): Promise<void>;
  close(): void;
}

const HTMX = createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js');
// htmx ships a gzipped copy: 16 kB instead of 50 kB over a phone's Wi-Fi, with no compression at run time.
const HTMX_GZ = existsSync(`${HTMX}.gz`) ? `${HTMX}.gz` : null;

type Handler = (req: Request, res: Response) => unknown;
/** Express 5 forwards rejected promises to the error handler; this keeps handlers' return types loose. */
const h = (fn: Handler) => (req: Request, res: Response, next: NextFunction): void => {
  Promise.resolve(fn(req, res)).catch(next);
};

export function createApp(o: AdminAppOptions): AdminApp {
  const helper = new Helper(o.helper);
  const server = new ServiceLink('server', controlSocketPath(o.store.path, 'server'), o.secretFile);
  const client = new ServiceLink('client', controlSocketPath(o.store.path, 'client'), o.secretFile);
  const deps: AdminDeps = {
    store: o.store,
    admin: o.admin,
    guards: {
      password: new AttemptGuard(o.guardOptions),
      // One claim-code check at a time: only a handful of people ever need it.
      claim: new AttemptGuard({ maxConcurrent: 1, ...o.guardOptions }),
    },
    helper,
    server,
    client,
    clientLive: new ClientLiveState(client),
    info: new CachedInfo(helper),
    mixdowns: new MixdownJobs(),
    secureCookies: o.secureCookies === true,
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.locals.nunjucks = createEnv();

  // Before anything else, static files included: a request that does not name the box is a
  // DNS-rebinding page or a misdirected one, and gets nothing from it.
  app.use(new HostCheck({
    configuredName: () => o.store.getFlat()['system.hostname'],
    publicName: () => {
      const s = o.store.getFlat();
      return s['ddns.enabled'] ? s['ddns.host'] : '';
    },
    ...o.hostCheck,
  }).middleware());
  app.use(securityHeaders);
  app.get('/static/htmx.min.js', (req, res) => {
    res.vary('Accept-Encoding');
    if (HTMX_GZ && /\bgzip\b/.test(req.get('accept-encoding') ?? '')) {
      res.set('Content-Encoding', 'gzip');
      res.type('application/javascript');
      res.sendFile(HTMX_GZ, { maxAge: '1d' });
    } else {
      res.sendFile(HTMX, { maxAge: '1d' });
    }
  });
  app.use('/static', express.static(PUBLIC_DIR, { maxAge: '1h', index: false }));
  app.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 }));
  app.use('/system/restore', express.raw({ type: 'multipart/form-data', limit: '512kb' }));
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use(sessionAndCsrf(deps));

  const auth = authRoutes(deps);
  app.get('/setup', h(auth.setupForm));
  app.post('/setup', h(auth.setup));
  app.get('/login', h(auth.loginForm));
  app.post('/login', h(auth.login));
  app.post('/logout', h(auth.logout));

  const status = statusRoutes(deps);
  app.get('/', h(status.page));
  app.get('/status/live', h(status.live));
  app.get('/status/reach', h(status.reach));

  const srv = serverRoutes(deps);
  app.get('/server', h(srv.show));
  app.post('/server', h(srv.save));

  const net = networkRoutes(deps);
  app.get('/network', h(net.show));
  app.post('/network', h(net.save));
  app.post('/network/confirm', h(net.confirm));
  app.post('/network/revert', h(net.revert));
  app.post('/network/portmap', h(net.savePortMapping));

  const ddns = ddnsRoutes(deps);
  app.get('/ddns', h(ddns.show));
  app.post('/ddns', h(ddns.save));

  const cl = clientRoutes(deps);
  app.get('/client', h(cl.show));
  app.post('/client', h(cl.save));
  app.post('/client/connect', h(cl.connect));
  app.post('/client/disconnect', h(cl.connect));
  app.post('/client/mix', h(cl.mix));
  app.get('/client/meters', h(cl.meters));

  const rec = recordingRoutes(deps);
  app.get('/recordings', h(rec.show));
  app.post('/recordings', h(rec.save));
  app.get('/recordings/live', h(rec.live));
  app.post('/recordings/start', h(rec.start));
  app.post('/recordings/stop', h(rec.stop));
  const store = recordingStorageRoutes(deps);
  app.get('/recordings/storage', h(store.list));
  app.post('/recordings/storage', h(store.choose));
  app.post('/recordings/eject', h(store.eject));
  const sessions = recordingSessionRoutes(deps);
  app.get('/recordings/sessions', h(sessions.list));
  app.get('/recordings/:storage/:session.zip', h(sessions.zip));
  app.get('/recordings/:storage/:session/mixdown', h(sessions.mixdown));
  app.post('/recordings/:storage/:session/mixdown', h(sessions.mixdown));
  app.get('/recordings/:storage/:session/mixdown.wav', h(sessions.mixdownFile));
  app.post('/recordings/:storage/:session/delete', h(sessions.remove));

  const sys = systemRoutes(deps);
  app.get('/system', h(sys.show));
  app.post('/system', h(sys.save));
  app.post('/system/password', h(sys.password));
  app.get('/system/backup', h(sys.backup));
  app.post('/system/backup', h(sys.backupWithSecrets));
  app.post('/system/restore', h(sys.restore));
  app.post('/system/factory-reset', h(sys.factoryReset));
  app.get('/system/logs', h(sys.logs));
  app.post('/system/reboot', h(sys.reboot));

  app.use((_req: Request, res: Response) => {
    res.status(404).type('text').send('not found');
  });
  // Errors are logged without the request body: it may hold a password or a DDNS secret.
  app.use((err: Error, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status ?? 500;
    if (status >= 500) console.error(`riffbox admin: ${req.method} ${req.path}: ${err.stack ?? err.message}`);
    res.status(status).type('text').send(status >= 500 ? 'internal error' : err.message);
  });

  return {
    app,
    deps,
    settle: (limitMs) => settleLaterChanges(deps, limitMs),
    close() {
      server.close();
      client.close();
    },
  };
}
