// Where to record: the SD card or a USB stick. The stick shows up here as soon as it is plugged in (the card
// polls lsblk); choosing it mounts it through the root helper and points the server at it; ejecting moves the
// recordings back to the card first, so no file is open when the stick is unmounted.
import { statfsSync } from 'node:fs';
import type { Request, Response } from 'express';
import type { AdminDeps } from '../deps.js';
import { render } from '../render.js';
import { formString } from '../forms.js';
import { applyChanges } from '../apply-changes.js';
import type { Translator } from '../i18n/index.js';
import { listUsbVolumes } from '../usb-storage.js';
import { destinationOf, recorderDetails, sdRecordingsDir, usbMountPoint, usbRecordingsDir, type RecorderDetails } from '../recordings-context.js';
import { formatBytes } from '../recordings-format.js';

function freeOf(dir: string): string {
  try {
    const st = statfsSync(dir);
    return formatBytes(st.bavail * st.bsize);
  } catch {
    return '';
  }
}

function standIn(d: AdminDeps): string | undefined {
  return d.helper.mode.kind === 'checkout' ? (d.helper.mode.env?.RIFFBOX_USB_DEVICE ?? process.env.RIFFBOX_USB_DEVICE) : undefined;
}

export async function storageContext(d: AdminDeps, details: RecorderDetails | null): Promise<Record<string, unknown>> {
  const volumes = await listUsbVolumes(standIn(d));
  const mountPoint = usbMountPoint(d);
  const stick = volumes[0];
  return {
    storage: {
      destination: destinationOf(d),
      sdFree: freeOf(sdRecordingsDir(d)),
      usb: stick
        ? {
            label: stick.label || stick.model || stick.device,
            size: formatBytes(stick.sizeBytes),
            fstype: stick.fstype,
            mounted: stick.mountpoint === mountPoint,
            free: stick.mountpoint === mountPoint ? freeOf(usbRecordingsDir(d)) : '',
          }
        : null,
      liveDirectory: details?.directory ?? '',
    },
  };
}

export function recordingStorageRoutes(d: AdminDeps) {
  const card = async (req: Request, res: Response, message = '', ok = true): Promise<void> => {
    render(req, res, '_recordings-storage.njk', { ...(await storageContext(d, await recorderDetails(d))), storageMessage: message, storageOk: ok });
  };

  return {
    /** The polled list alone: a message shown above it stays until the next action. */
    async list(req: Request, res: Response): Promise<void> {
      render(req, res, '_recordings-storage-list.njk', await storageContext(d, await recorderDetails(d)));
    },

    async choose(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      const target = formString(req.body, 'target');
      if (target !== 'sd' && target !== 'usb') return card(req, res, t('recBadTarget'), false);
      if (target === 'usb') {
        const r = await d.helper.run('usb-mount', 60000);
        if (!r.ok) return card(req, res, r.output, false);
      }
      const { changed } = d.store.update({ 'server.recordingDir': target === 'usb' ? usbRecordingsDir(d) : '' });
      const outcomes = await applyChanges(d, changed);
      const failed = outcomes.find((o) => !o.ok);
      res.set('HX-Trigger', 'sessions-changed');
      await card(req, res, failed ? failed.message : t(target === 'usb' ? 'recNowUsb' : 'recNowSd'), !failed);
    },

    async eject(req: Request, res: Response): Promise<void> {
      const t = res.locals.t as Translator;
      if (destinationOf(d) === 'usb') {
        const { changed } = d.store.update({ 'server.recordingDir': '' });
        const outcomes = await applyChanges(d, changed);
        const failed = outcomes.find((o) => !o.ok);
        if (failed) return card(req, res, failed.message, false);
      }
      const r = await d.helper.run('usb-unmount', 60000);
      res.set('HX-Trigger', 'sessions-changed');
      await card(req, res, r.ok ? t('recEjected') : r.output, r.ok);
    },
  };
}
