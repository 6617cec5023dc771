// A small HTTP client with a cookie jar for the admin tests: follows nothing by itself (so
// redirects can be asserted), and reads the CSRF token the way htmx does (from hx-headers). Built
// on node:http, so a test may send any Host header and pick its loopback source address
// (127.0.0.0/8 is all local on Linux): many "phones" from one process.
import { request as httpRequest } from 'node:http';

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export interface RequestOptions {
  readonly form?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
  /** Overrides the Host header (a DNS-rebinding page's name, say). */
  readonly host?: string;
}

export class AdminHttp {
  private readonly cookies = new Map<string, string>();
  csrf = '';

  /** `localAddress`: the loopback address this "phone" sends from (default 127.0.0.1). */
  constructor(readonly base: string, readonly localAddress?: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** The jar's cookies, to hand a session to another client (a second tab, a stolen cookie). */
  cookieJar(): Map<string, string> {
    return new Map(this.cookies);
  }

  useCookies(jar: ReadonlyMap<string, string>): void {
    for (const [k, v] of jar) this.cookies.set(k, v);
  }

  private remember(setCookies: readonly string[]): void {
    for (const c of setCookies) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  request(method: string, path: string, opts: RequestOptions = {}): Promise<Reply> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = { ...opts.headers };
    const cookie = this.cookieHeader();
    if (cookie !== '' && headers.cookie === undefined) headers.cookie = cookie;
    let body: string | Buffer | undefined = opts.body;
    if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    }
    if (opts.host !== undefined) headers.host = opts.host;
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, localAddress: this.localAddress, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (k === 'set-cookie') continue;
              if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
            }
            const setCookies = res.headers['set-cookie'] ?? [];
            for (const c of setCookies) h.append('set-cookie', c);
            this.remember(setCookies);
            const text = Buffer.concat(chunks).toString('utf8');
            const m = /"X-CSRF-Token": "([^"]+)"/.exec(text);
            if (m) this.csrf = m[1]!;
            resolve({ status: res.statusCode ?? 0, headers: h, text });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  get(path: string, headers?: Record<string, string>): Promise<Reply> {
    return this.request('GET', path, { headers });
  }

  /** A form post carrying the CSRF token, as the page's forms do. */
  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Reply> {
    return this.request('POST', path, { form: { _csrf: this.csrf, ...form }, headers });
  }

  /** First run: claim the box with its code and set the password (and get a session). */
  async setup(password: string, code: string): Promise<Reply> {
    await this.get('/setup');
    return this.post('/setup', { code, password, confirm: password, lang: 'en' });
  }

  async login(password: string): Promise<Reply> {
    await this.get('/login');
    return this.post('/login', { password });
  }
}
