// A small HTTP client with a cookie jar for the admin tests: follows nothing by itself (so
// redirects can be asserted), and reads the CSRF token the way htmx does (from hx-headers).
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

export class AdminHttp {
  private readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(readonly base: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(h: Headers): void {
    for (const c of h.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (/Max-Age=0/i.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(method: string, path: string, opts: { form?: Record<string, string>; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Reply> {
    const headers: Record<string, string> = { cookie: this.cookieHeader(), ...opts.headers };
    let body: string | Buffer | undefined = opts.body;
    if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    }
    const r = await fetch(this.base + path, { method, headers, body, redirect: 'manual' });
    this.remember(r.headers);
    const text = await r.text();
    const m = /"X-CSRF-Token": "([^"]+)"/.exec(text);
    if (m) this.csrf = m[1]!;
    return { status: r.status, headers: r.headers, text };
  }

  get(path: string, headers?: Record<string, string>): Promise<Reply> {
    return this.request('GET', path, { headers });
  }

  /** A form post carrying the CSRF token, as the page's forms do. */
  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Reply> {
    return this.request('POST', path, { form: { _csrf: this.csrf, ...form }, headers });
  }

  /** First run: set the password (and get a session). */
  async setup(password: string): Promise<Reply> {
    await this.get('/setup');
    return this.post('/setup', { password, confirm: password, lang: 'en' });
  }

  async login(password: string): Promise<Reply> {
    await this.get('/login');
    return this.post('/login', { password });
  }
}
