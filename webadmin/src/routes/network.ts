// Network: what the box has now (from the system), what to type into the router, and an optional
// static IP applied through the helper that reverts unless confirmed from the new address.
import type { Request, Response } from 'express';
import type { AdminDeps } from '../deps.js';
import { fieldViews } from '../forms.js';
import { isHtmx, render } from '../render.js';
import { showForm, saveForm, type FormPage, type FormState } from '../settings-form.js';
import type { SettingKey } from '../../../appliance/src/settings/index.js';
import type { Translator } from '../i18n/index.js';
import { portMapView, type PortMapAnswer } from '../reach-view.js';

const KEYS: readonly SettingKey[] = ['network.staticEnabled', 'network.address', 'network.prefix', 'network.gateway', 'network.dns', 'network.revertSeconds'];
const PORTMAP_KEYS: readonly SettingKey[] = ['server.portMapping'];

interface PendingStatus {
  pending: boolean;
  /** The static configuration is in place (applied and not reverted). */
  keyfile?: boolean;
  address?: string;
  deadline?: string;
}

/** The address this request arrived on (IPv4-mapped IPv6 unwrapped). */
export function localAddressOf(req: Request): string {
  return (req.socket.localAddress ?? '').replace(/^::ffff:/, '');
}

/** Only the helper and its revert timer change the pending state; ask again after a save or the deadline. */
const PENDING_CACHE_MS = 30000;

export function networkRoutes(d: AdminDeps) {
  let cached: { value: PendingStatus; until: number } | null = null;
  const pendingStatus = async (): Promise<PendingStatus> => {
    if (cached && Date.now() < cached.until) return cached.value;
    const r = await d.helper.run('network-status', 10000);
    let value: PendingStatus = { pending: false };
    try {
      if (r.ok) value = JSON.parse(r.output) as PendingStatus;
    } catch {
      // Unreadable answer: treated as nothing pending, and asked again next time.
    }
    const deadline = value.deadline ? Date.parse(value.deadline) + 1500 : Infinity;
    cached = { value, until: Math.min(Date.now() + PENDING_CACHE_MS, deadline) };
    return value;
  };
  const forget = (): void => {
    cached = null;
  };

  const page: FormPage = {
    keys: KEYS,
    page: 'network.njk',
    fragment: '_network-form.njk',
    url: '/network',
    async context(req: Request, res: Response, st: FormState) {
      const t = res.locals.t as Translator;
      let s = d.store.getFlat();
      const [net, pending, portmap] = await Promise.all([
        d.info.network.get(),
        pendingStatus(),
        d.server.call<PortMapAnswer>('riffbox/getPortMapping').catch(() => null),
      ]);
      // The revert timer ran (nobody confirmed): the stored choice follows what the box really has.
      let reverted = false;
      if (s['network.staticEnabled'] && !pending.pending && pending.keyfile === false) {
        d.store.update({ 'network.staticEnabled': false });
        s = d.store.getFlat();
        reverted = true;
      }
      const adminPort = req.socket.localPort ?? 80;
      const host = s['network.staticEnabled'] && s['network.address'] ? s['network.address'] : net.address;
      return {
        f: fieldViews([...KEYS, ...PORTMAP_KEYS], s, t, st.errors, st.submitted),
        state: st,
        portmap: portMapView(portmap, t),
        reverted,
        net,
        reservationIp: host,
        jamulusPort: s['server.port'],
        gatewayUrl: net.gateway ? `http://${net.gateway}/` : null,
        pending,
        confirmUrl: pending.pending && pending.address ? `http://${pending.address}${adminPort === 80 ? '' : `:${adminPort}`}/network` : null,
        onNewAddress: pending.pending && pending.address === localAddressOf(req),
        secondsLeft: pending.deadline ? Math.max(0, Math.round((Date.parse(pending.deadline) - Date.now()) / 1000)) : null,
      };
    },
  };

  // The mapping switch has its own small form: it reloads the server, not the network.
  const portmapPage: FormPage = { ...page, keys: PORTMAP_KEYS, fragment: '_portmap.njk' };

  const afterPost = async (req: Request, res: Response): Promise<void> => {
    d.info.network.invalidate();
    if (isHtmx(req)) await showForm(page, req, res, { errors: {}, submitted: undefined, outcomes: res.locals.outcomes ?? [], saved: true });
    else res.redirect(303, '/network');
  };

  return {
    show: (req: Request, res: Response) => showForm(page, req, res),
    savePortMapping: (req: Request, res: Response) => saveForm(d, portmapPage, req, res),
    save: (req: Request, res: Response) =>
      saveForm(d, page, req, res, async () => {
        const r = await d.helper.run('network-apply');
        forget();
        d.info.network.invalidate();
        return [{ target: 'network', ok: r.ok, message: r.output }];
      }),
    async confirm(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      forget();
      const p = await pendingStatus();
      // Confirming only from the new address proves the phone can still reach the box there.
      if (p.pending && p.address !== localAddressOf(req)) {
        render(req, res, 'message.njk', { title: t('netConfirmTitle'), message: t('netConfirmWrongAddress', { address: p.address ?? '' }) }, { status: 409 });
        return;
      }
      const r = await d.helper.run('network-confirm');
      forget();
      res.locals.outcomes = [{ target: 'network', ok: r.ok, message: r.output }];
      await afterPost(req, res);
    },
    async revert(req: Request, res: Response): Promise<void> {
      const r = await d.helper.run('network-revert');
      forget();
      if (r.ok) d.store.update({ 'network.staticEnabled': false });
      res.locals.outcomes = [{ target: 'network', ok: r.ok, message: r.output }];
      await afterPost(req, res);
    },
  };
}
