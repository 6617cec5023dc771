// The port-mapping wire formats against the RFCs' layouts, the parsers against hostile input, and
// the epoch rule that tells a restarted router.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMapUdpRequest, encodeExternalAddressRequest, decodeNatPmpResponse } from '../../appliance/src/reach/nat-pmp.js';
import { encodeMap, encodeAnnounce, decodePcpResponse, addressBytes, addressText, newNonce } from '../../appliance/src/reach/pcp.js';
import { EpochWatch } from '../../appliance/src/reach/mapping-session.js';
import { parseSsdpAnswer } from '../../appliance/src/reach/ssdp.js';
import { parseDescription, leafElements, xmlEscape, WAN_IP_CONNECTION_2, WAN_IPV6_FIREWALL_CONTROL_1 } from '../../appliance/src/reach/upnp-soap.js';
import { addressKind } from '../../appliance/src/reach/local-addresses.js';
import { hostOf } from '../../appliance/src/reach/reach-monitor.js';

test('NAT-PMP: requests as RFC 6886 §3.2/§3.3 lay them out', () => {
  assert.deepEqual([...encodeExternalAddressRequest()], [0, 0]);
  assert.equal(encodeMapUdpRequest(22124, 22124, 3600).toString('hex'), '00010000566c566c00000e10');
  assert.equal(encodeMapUdpRequest(22124, 0, 0).toString('hex'), '00010000566c000000000000');
});

test('NAT-PMP: answers decode; errors, short and foreign datagrams do not pass as answers', () => {
  const ext = Buffer.from('008000000000002acb007101', 'hex');
  assert.deepEqual(decodeNatPmpResponse(ext), { version: 0, opcode: 0, result: 0, epoch: 42, address: '203.0.113.1' });
  const map = Buffer.from('0081000000000010566c566c00000e10', 'hex');
  assert.deepEqual(decodeNatPmpResponse(map), { version: 0, opcode: 1, result: 0, epoch: 16, internalPort: 22124, externalPort: 22124, lifetimeS: 3600 });
  assert.deepEqual(decodeNatPmpResponse(Buffer.from('0080000300000007', 'hex')), { version: 0, opcode: 0, result: 3, epoch: 7 });
  assert.equal(decodeNatPmpResponse(Buffer.from('0001', 'hex')), null, 'a request is not an answer');
  assert.equal(decodeNatPmpResponse(Buffer.from('0080000000000001cb00', 'hex')), null, 'truncated address');
  assert.equal(decodeNatPmpResponse(Buffer.from('02810000', 'hex')), null, 'PCP is not NAT-PMP');
  assert.equal(decodeNatPmpResponse(Buffer.alloc(0)), null);
});

test('PCP: addresses travel as 16 bytes, IPv4 mapped (RFC 6887 §5)', () => {
  assert.equal(addressBytes('192.168.77.2').toString('hex'), '00000000000000000000ffffc0a84d02');
  assert.equal(addressBytes('2a01:e0a::1').toString('hex'), '2a010e0a000000000000000000000001');
  assert.equal(addressBytes('fe80::1%eth0').toString('hex'), 'fe800000000000000000000000000001');
  assert.equal(addressBytes('::').toString('hex'), '0'.repeat(32));
  for (const a of ['192.168.77.2', '2a01:e0a::1', '::', '2a01:e0a:0:1:2:3:4:5', '1::', '0.0.0.0']) assert.equal(addressText(addressBytes(a)), a);
  assert.throws(() => addressBytes('not-an-address'), /not an IP address/);
});

test('PCP: MAP and ANNOUNCE requests, and a MAP answer with its nonce', () => {
  const nonce = Buffer.from('0102030405060708090a0b0c', 'hex');
  const req = encodeMap({ nonce, clientAddress: '192.168.77.2', internalPort: 22124, externalPort: 22124, lifetimeS: 3600, externalAddress: '0.0.0.0' });
  assert.equal(req.length, 60);
  assert.equal(req.toString('hex'),
    '0201000000000e10' + '00000000000000000000ffffc0a84d02' +
    '0102030405060708090a0b0c' + '11000000' + '566c566c' + '00000000000000000000ffff00000000');
  assert.equal(encodeAnnounce('192.168.77.2').length, 24);
  const answer = Buffer.from(req);
  answer[1] = 0x81;
  answer[3] = 0;
  answer.writeUInt32BE(99, 8);
  Buffer.alloc(12).copy(answer, 12);
  addressBytes('11.77.0.1').copy(answer, 44);
  const r = decodePcpResponse(answer)!;
  assert.equal(r.result, 0);
  assert.equal(r.epoch, 99);
  assert.ok(r.map?.nonce.equals(nonce));
  assert.deepEqual([r.map?.externalAddress, r.map?.externalPort, r.lifetimeS], ['11.77.0.1', 22124, 3600]);
  assert.equal(decodePcpResponse(req), null, 'a request is not an answer');
  assert.equal(decodePcpResponse(Buffer.alloc(23, 2)), null, 'shorter than a header');
  assert.equal(decodePcpResponse(Buffer.concat([answer, Buffer.alloc(1100)])), null, 'longer than PCP allows');
  assert.notDeepEqual(newNonce(), newNonce());
});

test('epoch: a router that went back in time, or aged clearly less than we did, restarted', () => {
  const w = new EpochWatch();
  assert.equal(w.observe(1000, 0), false);
  assert.equal(w.observe(1020, 20_000), false, 'steady');
  assert.equal(w.observe(1039, 39_000), false, 'a second of jitter');
  assert.equal(w.observe(5, 59_000), true, 'went back: restarted');
  assert.equal(w.observe(25, 79_000), false);
  assert.equal(w.observe(30, 99_000), true, 'aged 5 s in 20 s: restarted in between');
});

test('SSDP: only an HTTP 200 answer whose LOCATION is on the answering host counts', () => {
  const ok = 'HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:2\r\nLOCATION: http://192.168.77.1:5000/rootDesc.xml\r\n\r\n';
  assert.deepEqual(parseSsdpAnswer(ok, '192.168.77.1'), { location: 'http://192.168.77.1:5000/rootDesc.xml', from: '192.168.77.1', st: 'urn:schemas-upnp-org:device:InternetGatewayDevice:2' });
  assert.equal(parseSsdpAnswer(ok, '192.168.77.9'), null, 'pointing at another host');
  assert.equal(parseSsdpAnswer(ok.replace('http://', 'file://'), '192.168.77.1'), null);
  assert.equal(parseSsdpAnswer('M-SEARCH * HTTP/1.1\r\n\r\n', '192.168.77.1'), null);
  assert.equal(parseSsdpAnswer('HTTP/1.1 200 OK\r\nLOCATION: ::::\r\n\r\n', '192.168.77.1'), null);
});

const DESCRIPTION = `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device>
<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType><deviceList><device><deviceList><device>
<serviceList>
<service><serviceType>urn:schemas-upnp-org:service:WANIPConnection:2</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId><controlURL>/ctl/IPConn</controlURL></service>
<service><serviceType>urn:schemas-upnp-org:service:WANIPv6FirewallControl:1</serviceType><controlURL>/ctl/IP6FCtl</controlURL></service>
<service><serviceType>urn:schemas-upnp-org:service:Evil:1</serviceType><controlURL>http://203.0.113.66/x</controlURL></service>
</serviceList></device></deviceList></device></deviceList></device></root>`;

test('UPnP: the WAN connection and IPv6 firewall services of a description, control URLs kept on the router', () => {
  const d = parseDescription(DESCRIPTION, 'http://192.168.77.1:5000/rootDesc.xml');
  assert.equal(d.version, 2);
  assert.deepEqual(d.wan, { type: WAN_IP_CONNECTION_2, controlUrl: 'http://192.168.77.1:5000/ctl/IPConn' });
  assert.deepEqual(d.ipv6Firewall, { type: WAN_IPV6_FIREWALL_CONTROL_1, controlUrl: 'http://192.168.77.1:5000/ctl/IP6FCtl' });
  const hostile = parseDescription(DESCRIPTION.replace('/ctl/IPConn', 'http://203.0.113.66/steal'), 'http://192.168.77.1:5000/rootDesc.xml');
  assert.equal(hostile.wan, null, 'a control URL on another host is ignored');
  assert.deepEqual(parseDescription('<<<not xml', 'http://192.168.77.1/'), { version: 1, wan: null, ipv6Firewall: null });
});

test('UPnP: SOAP answers and faults read as flat elements; arguments are escaped', () => {
  const answer = '<s:Envelope><s:Body><u:GetExternalIPAddressResponse xmlns:u="x"><NewExternalIPAddress>11.77.0.1</NewExternalIPAddress></u:GetExternalIPAddressResponse></s:Body></s:Envelope>';
  assert.equal(leafElements(answer).get('NewExternalIPAddress'), '11.77.0.1');
  const fault = '<s:Fault><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>714</errorCode><errorDescription>NoSuchEntryInArray &amp; more</errorDescription></UPnPError></detail></s:Fault>';
  assert.deepEqual([leafElements(fault).get('errorCode'), leafElements(fault).get('errorDescription')], ['714', 'NoSuchEntryInArray & more']);
  assert.equal(xmlEscape('<a & "b">'), '&lt;a &amp; &quot;b&quot;&gt;');
});

test('address kinds: public, carrier-grade NAT, private, and the musician address forms of the engine', () => {
  const cases: Array<[string, string]> = [
    ['11.77.0.1', 'public'], ['203.0.113.2', 'public'], ['100.64.77.1', 'cgnat'], ['100.127.255.255', 'cgnat'], ['100.128.0.1', 'public'],
    ['192.168.1.1', 'private'], ['10.0.0.1', 'private'], ['172.31.0.1', 'private'], ['172.32.0.1', 'public'], ['192.0.0.2', 'private'],
    ['127.0.0.1', 'loopback'], ['169.254.1.1', 'link-local'], ['0.0.0.0', 'unspecified'],
    ['2a01:e0a::1', 'public'], ['fd00::1', 'private'], ['fe80::1%eth0', 'link-local'], ['::1', 'loopback'], ['::ffff:100.64.0.1', 'cgnat'], ['ff02::1', 'private'],
  ];
  for (const [a, kind] of cases) assert.equal(addressKind(a), kind, a);
  assert.equal(hostOf('203.0.113.2:30001'), '203.0.113.2');
  assert.equal(hostOf('[2a01:e0a::2]:30001'), '2a01:e0a::2');
  assert.equal(hostOf('::ffff:203.0.113.2:30001'), '203.0.113.2');
});
