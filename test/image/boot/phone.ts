// The owner's phone: Debian's Chromium at a phone's size, reaching the box as http://riffbox.local/
// (mapped to the forwarded admin port, so every request carries the Host an owner's phone sends).
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, PHONE } from '../../browser/rig.js';
import { until as untilHolds } from '../../harness/until.js';

export const BOX_URL = 'http://riffbox.local';

/**
 * How much longer than on a Pi the box takes to answer under QEMU's emulation (TCG): node starts in ≈ 15 s
 * there, and every helper verb of the admin is a node process. Every wait of the journey is scaled by it.
 */
export const EMULATION_SLOWDOWN = 4;
export const slow = (ms: number): number => ms * EMULATION_SLOWDOWN;

export interface Phone {
  readonly browser: Browser;
  ctx: BrowserContext;
  page: Page;
  /** A fresh browser profile (no cookies), as a second phone or after "forget this site". */
  fresh(): Promise<void>;
  close(): Promise<void>;
}

export async function openPhone(httpPort: number): Promise<Phone> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, `--host-resolver-rules=MAP riffbox.local:80 127.0.0.1:${httpPort}`],
  });
  const open = async (): Promise<{ ctx: BrowserContext; page: Page }> => {
    const ctx = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1, locale: 'en-GB', acceptDownloads: true });
    ctx.setDefaultTimeout(slow(30000));
    ctx.setDefaultNavigationTimeout(slow(30000));
    return { ctx, page: await ctx.newPage() };
  };
  const first = await open();
  const phone: Phone = {
    browser,
    ...first,
    async fresh() {
      await phone.ctx.close();
      Object.assign(phone, await open());
    },
    close: () => browser.close(),
  };
  return phone;
}

/** The harness's `until`, its time-out scaled for emulation. */
export function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30000, everyMs = 500): Promise<T> {
  return untilHolds(what, fn, slow(timeoutMs), everyMs);
}

/** The text of the Status page's Services entry for the server or the client. */
export async function serviceLine(page: Page, which: 'server' | 'client'): Promise<string> {
  await page.goto(`${BOX_URL}/`);
  return ((await page.textContent(`#svc-${which}`)) ?? '').replace(/\s+/g, ' ').trim();
}
