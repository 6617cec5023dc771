import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { JsonRpcServer } from '../../appliance/src/control/jsonrpc-server.js';
import { JsonRpcClient } from '../../appliance/src/control/jsonrpc-client.js';
import { RpcError } from '../../appliance/src/control/rpc-error.js';
import { LineSplitter } from '../../appliance/src/control/line-splitter.js';

const SECRET = 'correct horse battery staple';
const MAX_LINE = 16 * 1024;
let server: JsonRpcServer;
let port = 0;
const calls: string[] = [];
const sockets = new Set<Socket>();

before(async () => {
  server = new JsonRpcServer({ port: 0, secret: SECRET, maxLineBytes: MAX_LINE });
  server.register('test/echo', (params) => {
    calls.push('echo');
    return { z: 1, a: params, m: [{ y: 2, b: 3 }] };
  });
  server.register('test/slow', async (params) => {
    await new Promise((r) => setTimeout(r, Number(params.ms ?? 50)));
    return 'slow';
  });
  server.register('test/fails', (params) => {
    switch (params.kind) {
      case 'rpc': throw new RpcError(1, 'Client is not connected');
      case 'type': throw new TypeError('level must be a number');
      case 'async': return Promise.reject(new Error('disk on fire'));
      case 'bigint': return { n: 1n };
      default: throw new Error('boom');
    }
  });
  server.register('test/nothing', () => undefined);
  port = await server.listen();
});

after(async () => {
  for (const s of sockets) s.destroy();
  await server.close();
});

/** A raw connection that reads whole lines, to see exactly what the server writes. */
interface Raw {
  send(text: string): void;
  next(timeoutMs?: number): Promise<string>;
  closed(timeoutMs?: number): Promise<void>;
  socket: Socket;
}

async function raw(): Promise<Raw> {
  const socket = connect({ port, host: '127.0.0.1' });
  sockets.add(socket);
  await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  let buf = '';
  let isClosed = false;
  const closeWaiters: (() => void)[] = [];
  socket.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(l);
      else lines.push(l);
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    isClosed = true;
    for (const w of closeWaiters) w();
  });
  return {
    socket,
    send: (t) => socket.write(t),
    next: (timeoutMs = 2000) =>
      new Promise((resolve, reject) => {
        const l = lines.shift();
        if (l !== undefined) return resolve(l);
        const timer = setTimeout(() => reject(new Error('no line from server')), timeoutMs);
        waiters.push((x) => {
          clearTimeout(timer);
          resolve(x);
        });
      }),
    closed: (timeoutMs = 2000) =>
      new Promise((resolve, reject) => {
        if (isClosed) return resolve();
        const timer = setTimeout(() => reject(new Error('server did not close the connection')), timeoutMs);
        closeWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

async function authed(): Promise<Raw> {
  const r = await raw();
  r.send(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'jamulus/apiAuth', params: { secret: SECRET } }) + '\n');
  assert.equal(await r.next(), '{"id":0,"jsonrpc":"2.0","result":"ok"}');
  return r;
}

const req = (id: unknown, method: unknown, params: unknown = {}): string => JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n';

test('authentication: 401 before, 400 for a wrong secret, then ok; keys sorted as Jamulus writes them', async () => {
  const r = await raw();
  r.send(req(1, 'test/echo'));
  assert.equal(await r.next(), '{"error":{"code":401,"message":"Unauthenticated: Please authenticate using jamulus/apiAuth first"},"id":1,"jsonrpc":"2.0"}');
  r.send(req(2, 'jamulus/apiAuth', { secret: 'wrong secret, long enough' }));
  assert.equal(await r.next(), '{"error":{"code":400,"message":"Authentication failed."},"id":2,"jsonrpc":"2.0"}');
  r.send(req(3, 'jamulus/apiAuth', { secret: 42 }));
  assert.equal(await r.next(), '{"error":{"code":-32602,"message":"Invalid params: secret is not a string"},"id":3,"jsonrpc":"2.0"}');
  r.send(req(4, 'jamulus/apiAuth', { secret: SECRET }));
  assert.equal(await r.next(), '{"id":4,"jsonrpc":"2.0","result":"ok"}');
  r.send(req(5, 'test/echo', { q: 1 }));
  assert.equal(await r.next(), '{"id":5,"jsonrpc":"2.0","result":{"a":{"q":1},"m":[{"b":3,"y":2}],"z":1}}');
  assert.ok(server.stats.authFailures >= 1);
  assert.ok(server.stats.unauthenticatedCalls >= 1);
});

test('-32601, -32602 and -32600 answer and keep the connection', async () => {
  const r = await authed();
  r.send(req(1, 'test/none'));
  assert.equal(await r.next(), '{"error":{"code":-32601,"message":"Method not found"},"id":1,"jsonrpc":"2.0"}');
  r.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'test/echo' }) + '\n');
  assert.equal(await r.next(), '{"error":{"code":-32602,"message":"Invalid params: The `params` member is not an object"},"id":2,"jsonrpc":"2.0"}');
  r.send(req(3, 'test/echo', [1, 2]));
  assert.equal(await r.next(), '{"error":{"code":-32602,"message":"Invalid params: The `params` member is not an object"},"id":3,"jsonrpc":"2.0"}');
  r.send(req(4, 7));
  assert.equal(await r.next(), '{"error":{"code":-32600,"message":"Invalid request: The `method` member is not a string"},"id":4,"jsonrpc":"2.0"}');
  r.send('   \n');
  assert.equal(await r.next(), '{"error":{"code":-32700,"message":"Parse error: Blank line received"},"jsonrpc":"2.0"}');
  r.send(req('str-id', 'test/nothing'));
  assert.equal(await r.next(), '{"id":"str-id","jsonrpc":"2.0"}');
  // Like Jamulus, a request without id is answered, without an id.
  r.send(JSON.stringify({ jsonrpc: '2.0', method: 'test/echo', params: {} }) + '\n');
  assert.equal(await r.next(), '{"jsonrpc":"2.0","result":{"a":{},"m":[{"b":3,"y":2}],"z":1}}');
  r.send(req(5, 'test/echo'));
  assert.match(await r.next(), /^\{"id":5,/);
});

test('invalid JSON: -32700, then the server closes', async () => {
  const r = await authed();
  r.send('{"jsonrpc": "2.0", nope}\n' + req(9, 'test/echo'));
  assert.equal(await r.next(), '{"error":{"code":-32700,"message":"Parse error: Invalid JSON received"},"jsonrpc":"2.0"}');
  await r.closed();
});

test('a document that is neither object nor array: -32600, then close', async () => {
  const r = await raw();
  r.send('42\n');
  assert.equal(await r.next(), '{"error":{"code":-32600,"message":"Invalid request: Unrecognized JSON; a request must be either an object or an array"},"jsonrpc":"2.0"}');
  await r.closed();
});

test('an empty batch: -32600, then close', async () => {
  const r = await authed();
  r.send('[]\n');
  assert.equal(await r.next(), '{"error":{"code":-32600,"message":"Invalid request: Empty batch request encountered"},"jsonrpc":"2.0"}');
  await r.closed();
});

test('a batch with a non-object item: closed without reply, and nothing in it ran', async () => {
  const r = await authed();
  const before = calls.length;
  r.send(JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'test/echo', params: {} }, 5]) + '\n');
  await r.closed();
  await assert.rejects(r.next(200), /no line/);
  assert.equal(calls.length, before);
});

test('batches are answered as one array, in order, errors included', async () => {
  const r = await authed();
  r.send(JSON.stringify([
    { jsonrpc: '2.0', id: 1, method: 'test/slow', params: { ms: 30 } },
    { jsonrpc: '2.0', id: 2, method: 'test/none', params: {} },
    { jsonrpc: '2.0', id: 3, method: 'test/echo', params: { x: true } },
  ]) + '\n');
  assert.deepEqual(JSON.parse(await r.next()), [
    { id: 1, jsonrpc: '2.0', result: 'slow' },
    { error: { code: -32601, message: 'Method not found' }, id: 2, jsonrpc: '2.0' },
    { id: 3, jsonrpc: '2.0', result: { a: { x: true }, m: [{ b: 3, y: 2 }], z: 1 } },
  ]);
});

test('replies keep request order on a connection even when a handler is slow', async () => {
  const r = await authed();
  r.send(req(1, 'test/slow', { ms: 80 }) + req(2, 'test/echo'));
  assert.match(await r.next(), /"id":1,/);
  assert.match(await r.next(), /"id":2,/);
});

test('handler failures become errors; the server keeps serving', async () => {
  const r = await authed();
  const before = server.stats.handlerErrors;
  r.send(req(1, 'test/fails', { kind: 'rpc' }));
  assert.equal(await r.next(), '{"error":{"code":1,"message":"Client is not connected"},"id":1,"jsonrpc":"2.0"}');
  r.send(req(2, 'test/fails', { kind: 'type' }));
  assert.equal(await r.next(), '{"error":{"code":-32602,"message":"Invalid params: level must be a number"},"id":2,"jsonrpc":"2.0"}');
  r.send(req(3, 'test/fails', { kind: 'plain' }));
  assert.equal(await r.next(), '{"error":{"code":-32603,"message":"Internal error: boom"},"id":3,"jsonrpc":"2.0"}');
  r.send(req(4, 'test/fails', { kind: 'async' }));
  assert.equal(await r.next(), '{"error":{"code":-32603,"message":"Internal error: disk on fire"},"id":4,"jsonrpc":"2.0"}');
  r.send(req(5, 'test/fails', { kind: 'bigint' }));
  assert.equal(await r.next(), '{"error":{"code":-32603,"message":"Internal error: result cannot be serialised"},"id":5,"jsonrpc":"2.0"}');
  assert.equal(server.stats.handlerErrors - before, 3);
  r.send(req(6, 'test/echo'));
  assert.match(await r.next(), /"id":6,.*"result"/);
});

test('notifications go to authenticated connections only', async () => {
  const a = await authed();
  const b = await raw();
  server.notify('jamulusclient/chatTextReceived', { chatText: '<b>hi</b>', a: 1 });
  assert.equal(await a.next(), '{"jsonrpc":"2.0","method":"jamulusclient/chatTextReceived","params":{"a":1,"chatText":"<b>hi</b>"}}');
  await assert.rejects(b.next(200), /no line/);
});

test('garbage does not bring the server down', async () => {
  for (const junk of [Buffer.from([0xff, 0xfe, 0x00, 0x0a]), Buffer.from('\u0000\u0001{{{[[[\n'), Buffer.from('{"method":\n'), Buffer.from('\r\n\r\n')]) {
    const r = await raw();
    r.socket.write(junk);
    await r.next();
    r.socket.destroy();
  }
  // A peer that resets mid-request.
  const r = await raw();
  r.socket.write('{"jsonrpc":"2.0","id":1,');
  r.socket.resetAndDestroy();
  const ok = await authed();
  ok.send(req(1, 'test/echo'));
  assert.match(await ok.next(), /"result"/);
});

test('a 1 MB line without newline is refused, counted, and not buffered; the connection survives', async () => {
  const r = await authed();
  const before = server.stats.oversizedLines;
  const mb = Buffer.alloc(1024 * 1024, 'a');
  r.socket.write(mb);
  assert.equal(await r.next(), `{"error":{"code":-32700,"message":"Parse error: Request exceeds maximum size of ${MAX_LINE} bytes"},"jsonrpc":"2.0"}`);
  r.socket.write(mb);
  r.send('\n' + req(2, 'test/echo'));
  assert.match(await r.next(), /^\{"id":2,"jsonrpc":"2.0","result"/);
  assert.equal(server.stats.oversizedLines - before, 1);
});

test('LineSplitter never holds more than its limit', () => {
  const s = new LineSplitter(1000);
  const lines: string[] = [];
  let over = 0;
  const sink = { line: (b: Buffer) => (lines.push(b.toString()), true), oversized: () => (over++, true) };
  for (let i = 0; i < 100; i++) {
    s.push(Buffer.alloc(300, 'x'), sink);
    assert.ok(s.bufferedBytes <= 1000);
  }
  s.push(Buffer.from('tail\nab'), sink);
  s.push(Buffer.from('c\n' + 'y'.repeat(1000) + '\nok\n'), sink);
  assert.deepEqual(lines, ['abc', 'y'.repeat(1000), 'ok']);
  assert.equal(over, 1);
  s.push(Buffer.from('z'.repeat(1001) + '\nnext\n'), sink);
  assert.equal(over, 2);
  assert.equal(lines.at(-1), 'next');
});

test('JsonRpcClient: auth, calls, errors, notifications', async () => {
  await assert.rejects(JsonRpcClient.connect({ port, secret: 'not the secret at all' }), (e: unknown) => e instanceof RpcError && e.code === 400);
  const c = await JsonRpcClient.connect({ port, secret: SECRET });
  try {
    assert.deepEqual(await c.call('test/echo', { k: 'v' }), { a: { k: 'v' }, m: [{ b: 3, y: 2 }], z: 1 });
    await assert.rejects(c.call('test/fails', { kind: 'rpc' }), (e: unknown) => e instanceof RpcError && e.code === 1 && e.message === 'Client is not connected');
    assert.equal(await c.call('test/nothing'), undefined);
    const got = new Promise<[string, Record<string, unknown>]>((r) => c.once('notification', (m, p) => r([m, p])));
    server.notify('jamulusclient/connected', { id: 3 });
    assert.deepEqual(await got, ['jamulusclient/connected', { id: 3 }]);
    // A throwing listener is isolated from the reading of later replies.
    const errors: Error[] = [];
    c.on('listenerError', (e) => errors.push(e));
    c.once('notification', () => {
      throw new Error('listener bug');
    });
    server.notify('x/y', {});
    assert.equal(await c.call('test/slow', { ms: 1 }), 'slow');
    assert.equal(errors[0]?.message, 'listener bug');
  } finally {
    c.close();
  }
  await assert.rejects(c.call('test/echo'), /closed/);
  const unauth = await JsonRpcClient.connect({ port });
  try {
    await assert.rejects(unauth.call('test/echo'), (e: unknown) => e instanceof RpcError && e.code === 401);
  } finally {
    unauth.close();
  }
});

test('the server refuses a short secret and non-loopback addresses', () => {
  assert.throws(() => new JsonRpcServer({ port: 0, secret: 'short' }), /at least 16 characters/);
  assert.throws(() => new JsonRpcServer({ port: 0, secret: SECRET, host: '0.0.0.0' }), /loopback/);
  assert.throws(() => server.register('test/echo', () => 1), /already registered/);
  assert.throws(() => server.register('jamulus/apiAuth', () => 1), /built in/);
});
