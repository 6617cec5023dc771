// Hostile requests for the admin, from a seeded generator so a failure can be replayed: forms with
// values no field accepts, headers that lie, paths that climb, bodies that are too big, not what
// they claim, or nested without end, and raw bytes no HTTP client would send. None of them may
// change a setting: every form that carries the session and CSRF token also carries a value its
// page refuses, and every form with acceptable values lacks the token or the session.

export interface HostileRequest {
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer | string;
  /** Send the owner's session cookie and CSRF token. */
  readonly session: 'none' | 'cookie' | 'cookie+csrf';
}

/** Bytes written straight to the socket. */
export interface RawRequest {
  readonly kind: string;
  readonly raw: Buffer;
}

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type R = () => number;
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const JUNK = [
  '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' OR 1=1 --", '%00', '\u0000', '../../../../etc/passwd',
  '\u202e\u0041', '😀'.repeat(40), 'x'.repeat(3000), '${7*7}', '{{7*7}}', '__proto__', 'constructor', '\r\nSet-Cookie: a=b',
  '-1', '1e309', 'NaN', '0x10', ' ', '\t', '%zz', '%E0%A4%A', 'true', '[]', '{}',
];

function junk(r: R): string {
  return pick(r, JUNK);
}

/** Junk an HTTP client can put in a header (visible ASCII only; anything else it refuses to send). */
const HEADER_JUNK = ['<script>alert(1)</script>', "' OR 1=1 --", '../../etc/passwd', '${7*7}', 'x'.repeat(3000), '-1', 'NaN', '%zz', ';;;,,,===', '"quoted"'];

function headerJunk(r: R): string {
  return pick(r, HEADER_JUNK);
}

function form(fields: Record<string, string>): { headers: Record<string, string>; body: string } {
  return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() };
}

/** One invalid anchor per page: the save is all or nothing, so the page refuses the whole form. */
const INVALID_FORMS: readonly (readonly [string, (r: R) => Record<string, string>])[] = [
  ['/server', (r) => ({ 'server.port': pick(r, ['80', '70000', 'abc', '', '-5', '1e3']), 'server.name': junk(r), 'server.welcome': junk(r), 'server.country': junk(r), 'server.directory': junk(r), 'server.mode': junk(r) })],
  ['/server', (r) => ({ 'server.name': 'n'.repeat(21 + Math.floor(r() * 500)), 'server.maxClients': junk(r), 'server.city': junk(r) })],
  ['/client', (r) => ({ 'client.frames': pick(r, ['77', '0', 'x', '']), 'client.device': junk(r), 'client.server': junk(r), 'client.name': junk(r), 'client.skill': junk(r) })],
  ['/network', (r) => ({ 'network.staticEnabled': 'true', 'network.address': pick(r, ['999.1.1.1', '1.2.3', 'a.b.c.d', '']), 'network.gateway': junk(r), 'network.prefix': junk(r), 'network.dns': junk(r) })],
  ['/ddns', (r) => ({ 'ddns.enabled': 'true', 'ddns.provider': pick(r, ['duckdns', 'dyndns2', 'cloudflare', 'nope']), 'ddns.host': pick(r, ['bad host!', '-x-', '..', 'a'.repeat(300)]), 'ddns.token': junk(r), 'ddns.password': junk(r), action: pick(r, ['save', 'update', junk(r)]) })],
  ['/system', (r) => ({ 'system.hostname': pick(r, ['-bad-', 'a b', 'x'.repeat(70), '', 'é']), 'system.language': junk(r) })],
  ['/client/mix', (r) => ({
    name: pick(r, ['', 'n'.repeat(40), junk(r)]),
    channel: junk(r),
    ...pick(r, [
      { control: pick(r, ['fader', 'pan']), value: pick(r, ['101', '-1', 'abc', '1e2', '1000', ' 5']) },
      { control: pick(r, ['mute', 'solo']), value: pick(r, ['maybe', '2', 'yes please', 'TRUE ']) },
      { control: pick(r, ['volume', '', 'fader ', '__proto__']), value: '50' },
    ]),
  })],
  ['/system/password', (r) => ({ current: junk(r), password: junk(r), confirm: junk(r) })],
  ['/system/backup', (r) => ({ password: junk(r) })],
  ['/system/factory-reset', (r) => ({ password: pick(r, ['', 'not the password', junk(r)]) })],
  ['/login', (r) => ({ password: junk(r) })],
  ['/setup', (r) => ({ code: junk(r), password: junk(r), confirm: junk(r) })],
];

/** Values every page would accept: sent only without the session or without the token. */
const VALID_FORMS: readonly (readonly [string, Record<string, string>])[] = [
  ['/server', { 'server.name': 'hijacked', 'server.port': '22150' }],
  ['/system', { 'system.hostname': 'hijacked' }],
  ['/ddns', { 'ddns.enabled': 'true', 'ddns.provider': 'duckdns', 'ddns.host': 'x.duckdns.org', 'ddns.token': 'stolen' }],
  ['/system/factory-reset', { password: 'whatever' }],
  ['/system/reboot', {}],
  ['/logout', {}],
  ['/client/disconnect', {}],
  ['/network/revert', {}],
];

const GET_PATHS = [
  '/', '/server', '/client', '/network', '/ddns', '/system', '/status/live', '/client/meters', '/system/backup', '/login', '/setup',
  '/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/static/../../package.json', '/static/%2e%2e%2fpackage.json', '/static/%00',
  '/static/admin.css%00.js', '/%ff%fe', '/server?saved=1&failed=%3Cscript%3E', '/system?done=%3Cimg%20src%3Dx%3E', `/${'a/'.repeat(2000)}`,
  `/server?${Array.from({ length: 300 }, (_, i) => `p${i}=${i}`).join('&')}`, '/static/', '/static/htmx.min.js?x=%zz', '/nope', '//evil.example/',
];

function restoreBody(r: R): { headers: Record<string, string>; body: Buffer } {
  const boundary = `----riffbox${Math.floor(r() * 1e9)}`;
  const file = pick(r, [
    'not json at all',
    '{"format":"riffbox-settings","schemaVersion":999,"settings":{}}',
    '{"format":"riffbox-settings","schemaVersion":1,"settings":{"server.port":80}}',
    '{"format":"riffbox-settings","schemaVersion":1,"includesSecrets":false,"settings":{"system.adminPasswordHash":"scrypt$1$1$1$AA$AA","server.name":"x"}}',
    '{"__proto__":{"polluted":1},"format":"riffbox-settings","schemaVersion":1,"settings":{"constructor":{"prototype":{"x":1}}}}',
    `${'['.repeat(20000)}${']'.repeat(20000)}`,
    JSON.stringify({ format: 'riffbox-settings', schemaVersion: 1, settings: Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i])) }),
    '',
  ]);
  const parts = pick(r, [
    `--${boundary}\r\nContent-Disposition: form-data; name="backup"; filename="b.json"\r\n\r\n${file}\r\n--${boundary}--\r\n`,
    `--${boundary}\r\nContent-Disposition: form-data; name="password"\r\n\r\n${junk(r)}\r\n--${boundary}\r\nContent-Disposition: form-data; name="backup"; filename="b.json"\r\n\r\n${file}\r\n--${boundary}--\r\n`,
    `--${boundary}\r\nno headers end here`,
    `--wrong\r\n\r\n${file}`,
    file,
  ]);
  const type = pick(r, [`multipart/form-data; boundary=${boundary}`, 'multipart/form-data', 'multipart/form-data; boundary=', 'application/json', `multipart/form-data; boundary="${boundary}"`]);
  return { headers: { 'content-type': type }, body: Buffer.from(parts) };
}

export function hostileRequest(r: R): HostileRequest {
  const roll = r();
  if (roll < 0.3) {
    const [path, make] = pick(r, INVALID_FORMS);
    const f = form(make(r));
    return { kind: `invalid form ${path}`, method: 'POST', path, ...f, session: 'cookie+csrf' };
  }
  if (roll < 0.42) {
    const [path, fields] = pick(r, VALID_FORMS);
    const f = form(fields);
    const session = pick(r, ['none', 'cookie'] as const);
    return { kind: `form without ${session === 'none' ? 'session' : 'CSRF token'} ${path}`, method: 'POST', path, ...f, session };
  }
  if (roll < 0.57) {
    const path = pick(r, GET_PATHS);
    return { kind: 'path', method: pick(r, ['GET', 'GET', 'HEAD']), path, headers: { 'hx-request': pick(r, ['true', 'false', headerJunk(r)]) }, session: pick(r, ['none', 'cookie'] as const) };
  }
  if (roll < 0.72) {
    const headers: Record<string, string> = pick<Record<string, string>>(r, [
      { host: pick(r, ['evil.example', 'riffbox.local.evil.example:80', '[::ffff:1.2.3.4]', 'a'.repeat(300)]) },
      { cookie: `rb_session=${pick(r, ['v2.1.1.x.y', 'v1.1.x.y', '%zz', 'a'.repeat(4000), 'v2.99999999999999999999.1.n.m'])}; rb_pre=${headerJunk(r)}` },
      { 'accept-language': headerJunk(r) },
      { 'x-csrf-token': headerJunk(r) },
      { 'content-type': pick(r, ['application/x-www-form-urlencoded; charset=utf-7', 'text/plain', 'application/json', 'multipart/form-data; boundary=x', 'x/y; charset="']) },
      { 'hx-request': 'true', 'hx-target': headerJunk(r), 'hx-current-url': 'javascript:alert(1)' },
      { 'x-forwarded-for': '1.2.3.4', forwarded: 'for=1.2.3.4', 'x-real-ip': '5.6.7.8' },
      { 'accept-encoding': 'gzip;q=x, br;q=9999', range: 'bytes=-999999999999' },
    ]);
    const method = pick(r, ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND']);
    const path = pick(r, ['/', '/server', '/login', '/setup', '/system/restore', '/static/admin.css', '/static/htmx.min.js']);
    const body = method === 'GET' || method === 'HEAD' ? undefined : new URLSearchParams({ x: junk(r), _csrf: junk(r) }).toString();
    return { kind: `headers ${method}`, method, path, headers, body, session: pick(r, ['none', 'cookie', 'cookie+csrf'] as const) };
  }
  if (roll < 0.85) {
    const b = restoreBody(r);
    return { kind: 'restore body', method: 'POST', path: '/system/restore', ...b, session: pick(r, ['cookie+csrf', 'cookie+csrf', 'cookie', 'none'] as const) };
  }
  // Bodies that are too large, too many, or not what they say.
  const path = pick(r, ['/server', '/login', '/setup', '/ddns', '/system/restore', '/client/mix']);
  const body = pick(r, [
    `server.port=80&server.name=${'x'.repeat(70 * 1024)}`,
    Array.from({ length: 150 }, (_, i) => `f${i}=${i}`).join('&') + '&server.port=80',
    `server.port=80&${'%'.repeat(500)}`,
    Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 97 + 13) & 0xff)).toString('latin1'),
    'server.port=80&a[b][c][d][e][f]=1&__proto__[x]=1',
  ]);
  const contentType = path === '/system/restore' && r() < 0.5 ? 'multipart/form-data; boundary=b' : 'application/x-www-form-urlencoded';
  const size = Buffer.byteLength(body, 'latin1');
  const sized = path === '/system/restore' && r() < 0.3 ? Buffer.alloc(600 * 1024, 0x41) : Buffer.from(body, 'latin1');
  return { kind: `body ${size > 64 * 1024 || sized.length > 512 * 1024 ? 'too large' : 'garbled'} ${path}`, method: 'POST', path, headers: { 'content-type': contentType }, body: sized, session: 'cookie+csrf' };
}

export function rawRequest(r: R): RawRequest {
  const raw = pick(r, [
    'GET / HTTP/1.0\r\n\r\n',
    'GET /\u0000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
    'GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nNoColonHere\r\n\r\n',
    `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: ${'a'.repeat(20000)}\r\n\r\n`,
    'POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n',
    'POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef',
    'POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
    'POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n',
    'BREW /pot HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
    '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003',
    'GET http://evil.example/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
  ]);
  return { kind: 'raw', raw: Buffer.from(raw, 'latin1') };
}
