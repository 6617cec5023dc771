import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UdpPeer, UdpRelay, trafficSummary } from '../harness/udp-peer.js';

test('UdpPeer sends and collects datagrams with sender and time', async () => {
  const a = await UdpPeer.open();
  const b = await UdpPeer.open();
  try {
    await a.send(Buffer.from([1, 2, 3]), b.port);
    const d = await b.waitFor((x) => x.data.length === 3);
    assert.deepEqual([...d.data], [1, 2, 3]);
    assert.equal(d.from.port, a.port);
    await assert.rejects(b.waitFor((x) => x.data.length === 99, 100), /no matching datagram within 100 ms/);
  } finally {
    a.close();
    b.close();
  }
});

test('UdpRelay forwards both ways from one upstream socket per peer, logs and can drop', async () => {
  const server = await UdpPeer.open();
  const relay = await UdpRelay.open(server.port);
  const c1 = await UdpPeer.open();
  const c2 = await UdpPeer.open();
  try {
    await c1.send(Buffer.from('one'), relay.port);
    await c2.send(Buffer.from('two'), relay.port);
    const d1 = await server.waitFor((d) => d.data.toString() === 'one');
    const d2 = await server.waitFor((d) => d.data.toString() === 'two');
    assert.notEqual(d1.from.port, d2.from.port, 'distinct peers keep distinct source ports');
    await server.send(Buffer.from('reply'), d1.from.port);
    assert.equal((await c1.waitFor()).data.toString(), 'reply');
    relay.drop = (d) => d.direction === 'up' && d.data.toString() === 'lost';
    await c1.send(Buffer.from('lost'), relay.port);
    await c1.send(Buffer.from('kept'), relay.port);
    await server.waitFor((d) => d.data.toString() === 'kept');
    assert.equal(server.collected((d) => d.data.toString() === 'lost').length, 0);
    assert.deepEqual(relay.log.map((d) => `${d.direction}:${d.data}`), ['up:one', 'up:two', 'down:reply', 'up:lost', 'up:kept']);
    const s = trafficSummary(server.received);
    assert.equal(s.sizes.get(3), 2);
  } finally {
    relay.close();
    for (const p of [server, c1, c2]) p.close();
  }
});
