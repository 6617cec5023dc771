// Server-side rendering with auto-escaping nunjucks. A page template includes its fragments
// (`_name.njk`); an htmx request gets the fragment alone, any other request the whole page, and
// every answer says `Vary: HX-Request` so a cache never mixes the two up.
import nunjucks from 'nunjucks';
import { fileURLToPath } from 'node:url';
import type { Request, Response } from 'express';

export const VIEWS_DIR = fileURLToPath(new URL('../../../webadmin/views', import.meta.url));
export const PUBLIC_DIR = fileURLToPath(new URL('../../../webadmin/public', import.meta.url));

export function createEnv(): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS_DIR, { noCache: false }), {
    autoescape: true,
    throwOnUndefined: false,
    trimBlocks: true,
    lstripBlocks: true,
  });
  env.addFilter('json', (v: unknown) => JSON.stringify(v));
  return env;
}

export function isHtmx(req: Request): boolean {
  return req.get('HX-Request') === 'true';
}

export interface RenderOptions {
  /** The fragment template an htmx request gets instead of the page. */
  readonly fragment?: string;
  readonly status?: number;
}

export function render(req: Request, res: Response, page: string, context: Record<string, unknown>, opts: RenderOptions = {}): void {
  const env = req.app.locals.nunjucks as nunjucks.Environment;
  const template = isHtmx(req) && opts.fragment ? opts.fragment : page;
  const html = env.render(template, { ...res.locals, ...context });
  res.vary('HX-Request');
  res.status(opts.status ?? 200).type('html').send(html);
}
