// The running server as settings describe it: the engine worker, the directory registrar, and the rules for
// applying changed settings — live where the engine can take them, by restarting the engine where it cannot
// (port, slot count, frame size). JSON-RPC (server-control.ts) and signals (main.ts) drive it.
import { EventEmitter } from 'node:events';
import type { FlatSettings, SettingKey } from '../settings/schema.js';
import { directoryAddress } from '../settings/directories.js';
import { ServerEngineHost } from './engine-host.js';
import type { EngineEvent, ServerEngineOptions } from './engine-options.js';
import { DirectoryRegistrar, type RegistrationInfo } from './directory-registrar.js';
import type { RegistrarTimings } from './registrar-timings.js';
import { Recorder } from '../recorder/recorder.js';
import { recorderLimitsOf, recordingDirOf, ringBytesOf } from '../recorder/recorder-settings.js';
import { ReachMonitor } from '../reach/reach-monitor.js';
import { DEFAULT_MAPPER_TIMINGS, type MapperTimings } from '../reach/mapper-timings.js';

export function engineOptionsFrom(s: FlatSettings): ServerEngineOptions {
  return {
    port: s['server.port'],
    // Dual-stack: IPv6 friends and IPv4 ones on one socket (the worker falls back to IPv4 without IPv6).
    bindAddress: '::',
    maxClients: s['server.maxClients'],
    fastUpdate: s['server.fastUpdate'],
    welcome: s['server.welcome'],
    disconnectOnQuit: true,
  };
}

function registrationInfo(s: FlatSettings, port: number): RegistrationInfo {
  return {
    port,
    name: s['server.name'],
    city: s['server.city'],
    country: s['server.country'],
    maxClients: s['server.maxClients'],
    publicIp: s['server.publicIp'],
  };
}

/** The directory a mode + directory setting means: null in private mode. */
function wantedDirectory(s: FlatSettings): string | null {
  return s['server.mode'] === 'public' ? directoryAddress(s['server.directory']) : null;
}

/** Settings the engine reads only at start. */
const RESTART_KEYS: readonly SettingKey[] = ['server.port', 'server.maxClients', 'server.fastUpdate'];

export interface ApplyResult {
  /** Server keys whose value changed. */
  changed: SettingKey[];
  /** The engine was restarted (connected clients were sent CLM_DISCONNECTION). */
  restarted: boolean;
  port: number;
}

export class ServerRuntime extends EventEmitter<{ event: [EngineEvent]; exit: [number] }> {
  host: ServerEngineHost;
  readonly registrar: DirectoryRegistrar;
  readonly recorder: Recorder;
  readonly reach: ReachMonitor;
  private current: FlatSettings;
  private restarting = false;
  private stopped = false;
  private readonly db: string | undefined;

  /** @param opts.db the settings database, beside which recordings go when no folder is set */
  constructor(settings: FlatSettings, opts: { timings?: RegistrarTimings; mapperTimings?: MapperTimings; log?: (line: string) => void; db?: string } = {}) {
    super();
    this.current = settings;
    this.db = opts.db;
    this.recorder = new Recorder({
      dir: recordingDirOf(settings, opts.db),
      disabled: !settings['server.recordingEnabled'],
      limits: recorderLimitsOf(settings),
      ringBytes: ringBytesOf(settings),
    });
    const log = opts.log;
    if (log) this.recorder.on('log', (line) => log(line));
    this.host = this.makeHost(settings);
    this.registrar = new DirectoryRegistrar(this.host, registrationInfo(settings, settings['server.port']), {
      timings: opts.timings,
      log: opts.log,
    });
    this.reach = new ReachMonitor({
      timings: opts.mapperTimings ?? DEFAULT_MAPPER_TIMINGS,
      log: opts.log ?? (() => undefined),
      registration: () => this.registrar.snapshot(),
      serverListensIPv6: () => this.host.family === 6,
    });
  }

  get settings(): FlatSettings {
    return this.current;
  }

  /** Binds the port and, in public mode, starts registering. Rejects with EngineStartError. */
  async start(): Promise<number> {
    await this.recorder.start();
    let port: number;
    try {
      port = await this.host.start();
    } catch (e) {
      await this.recorder.close();
      throw e;
    }
    await this.recorder.bindEngine(this.host);
    this.registrar.setTransport(this.host, { port });
    await this.registrar.setDirectory(wantedDirectory(this.current));
    await this.reach.apply(this.current, port);
    return port;
  }

  /**
   * Applies a complete new settings set. Engine-start settings restart the engine on the new values; a
   * failed restart (port taken) brings the old engine back and rethrows, so the server never ends up
   * without a socket.
   */
  async apply(next: FlatSettings): Promise<ApplyResult> {
    const prev = this.current;
    const changed = (Object.keys(next) as SettingKey[]).filter((k) => k.startsWith('server.') && next[k] !== prev[k]);
    const restart = changed.some((k) => RESTART_KEYS.includes(k));
    if (restart) {
      await this.restartEngine(next);
    } else {
      // Name, city and country only reach the directory (the registrar, below); the engine never sends them.
      if (changed.includes('server.welcome')) await this.host.setWelcomeMessage(next['server.welcome']);
    }
    await this.applyRecorder(prev, next);
    this.current = next;
    this.registrar.setInfo(registrationInfo(next, this.host.port));
    await this.registrar.setDirectory(wantedDirectory(next));
    await this.reach.apply(next, this.host.port);
    return { changed, restarted: restart, port: this.host.port };
  }

  /** `jamulusserver/setDirectory`: mode and directory for this run, without touching the store. */
  async setDirectory(mode: 'private' | 'public', directory: string): Promise<void> {
    this.current = { ...this.current, 'server.mode': mode, 'server.directory': mode === 'public' ? directory : this.current['server.directory'] };
    await this.registrar.setDirectory(wantedDirectory(this.current));
    await this.reach.apply(this.current, this.host.port);
  }

  /** Live name/city/country change (jamulusserver/setServerName). */
  setServerInfo(info: { name: string; city: string; country: number }): void {
    this.current = { ...this.current, 'server.name': info.name, 'server.city': info.city, 'server.country': info.country };
    this.registrar.setInfo({ name: info.name, city: info.city, country: info.country });
  }

  async setWelcome(text: string): Promise<void> {
    this.current = { ...this.current, 'server.welcome': text };
    await this.host.setWelcomeMessage(text);
  }

  /** jamulusserver/setRecordingDirectory: the folder for this run, without touching the store. */
  async setRecordingDirectory(dir: string): Promise<void> {
    this.current = { ...this.current, 'server.recordingDir': dir };
    await this.recorder.setDirectory(dir);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Unregister while the socket the directory knows is still open; close the router's port too.
    await Promise.all([this.registrar.stop(), this.reach.stop()]);
    await this.host.stop();
    void this.recorder.bindEngine(null);
    // The writer takes what is left in the ring and finishes the session ("shutdown").
    await this.recorder.close();
  }

  private async applyRecorder(prev: FlatSettings, next: FlatSettings): Promise<void> {
    const r = this.recorder;
    r.setLimits(recorderLimitsOf(next));
    const dir = recordingDirOf(next, this.db);
    if (dir !== recordingDirOf(prev, this.db)) await r.setDirectory(dir);
    if (next['server.recordingEnabled'] !== prev['server.recordingEnabled']) await r.setEnabled(next['server.recordingEnabled']);
  }

  private makeHost(s: FlatSettings): ServerEngineHost {
    const host = new ServerEngineHost({ ...engineOptionsFrom(s), ...this.recorder.engineLink() });
    this.recorder.frameSamples = s['server.fastUpdate'] ? 64 : 128;
    host.on('event', (e) => {
      if (host !== this.host) return;
      if (e.event === 'clm') this.registrar.onClm(e.name, e.value, e.address, e.port);
      if (e.event === 'recordingSessionEnded') this.recorder.sessionIdle(e.session);
      if (e.event === 'clientConnected') this.reach.onClientConnected(e.address);
      this.emit('event', e);
    });
    host.on('exit', (code) => {
      if (host === this.host && !this.restarting && !this.stopped) this.emit('exit', code);
    });
    return host;
  }

  /**
   * Stopping the old engine sends CLM_DISCONNECTION to every client: the server at that address is really
   * gone, and a client that kept sending would only time out after 30 s of silence. They reconnect to the
   * new port themselves (nothing in the protocol can tell them it). The directory entry, keyed by the old
   * port, is removed first and re-registered from the new one.
   */
  private async restartEngine(next: FlatSettings): Promise<void> {
    this.restarting = true;
    try {
      await this.registrar.unregister();
      const old = this.host;
      await old.stop();
      void this.recorder.bindEngine(null);
      this.recorder.engineStopped();
      const fresh = this.makeHost(next);
      this.host = fresh;
      try {
        await fresh.start();
      } catch (e) {
        const back = this.makeHost(this.current);
        this.host = back;
        await back.start();
        await this.recorder.bindEngine(back);
        this.registrar.setTransport(back, { port: back.port });
        throw e;
      }
      await this.recorder.bindEngine(fresh);
      this.registrar.setTransport(fresh, { port: fresh.port });
    } finally {
      this.restarting = false;
    }
  }
}
