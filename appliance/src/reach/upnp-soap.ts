// The little HTTP and XML that UPnP IGD control needs: fetch a device description and find its WAN
// connection and IPv6 firewall services, and call SOAP actions on them. Routers generate this XML
// from fixed templates, so flat element matching is enough; every answer is size- and time-limited.

/** A router's description or SOAP answer is a few kilobytes; anything larger is not one. */
const MAX_BODY_BYTES = 128 * 1024;
export const SOAP_TIMEOUT_MS = 3000;

export const WAN_IP_CONNECTION_1 = 'urn:schemas-upnp-org:service:WANIPConnection:1';
export const WAN_IP_CONNECTION_2 = 'urn:schemas-upnp-org:service:WANIPConnection:2';
export const WAN_PPP_CONNECTION_1 = 'urn:schemas-upnp-org:service:WANPPPConnection:1';
export const WAN_IPV6_FIREWALL_CONTROL_1 = 'urn:schemas-upnp-org:service:WANIPv6FirewallControl:1';

export class UpnpError extends Error {
  /** The UPnP error code from the SOAP fault (e.g. 714 NoSuchEntryInArray), or 0 for HTTP/transport errors. */
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = 'UpnpError';
  }
}

export function xmlDecode(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, (_, e: string) => {
    const k = e.toLowerCase();
    if (k === 'lt') return '<';
    if (k === 'gt') return '>';
    if (k === 'amp') return '&';
    if (k === 'quot') return '"';
    if (k === 'apos') return "'";
    const n = k.startsWith('#x') ? parseInt(k.slice(2), 16) : parseInt(k.slice(1), 10);
    return Number.isFinite(n) && n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : '';
  });
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Every leaf element `<ns:Name>text</ns:Name>` as name → decoded text (the first of each name). */
export function leafElements(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)(?:\s[^>]*)?>([^<]*)<\/(?:[A-Za-z_][\w.-]*:)?\1\s*>/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) if (!out.has(m[1]!)) out.set(m[1]!, xmlDecode(m[2]!).trim());
  return out;
}

export interface IgdServices {
  /** IGD:2 when the device or its connection service is version 2. */
  version: 1 | 2;
  wan: { type: string; controlUrl: string } | null;
  ipv6Firewall: { type: string; controlUrl: string } | null;
}

/** Finds the WAN connection and IPv6 firewall services in a device description. */
export function parseDescription(xml: string, location: string): IgdServices {
  const base = leafElements(xml).get('URLBase') || location;
  const services: Array<{ type: string; controlUrl: string }> = [];
  for (const block of xml.match(/<service>[\s\S]*?<\/service>/g) ?? []) {
    const f = leafElements(block);
    const type = f.get('serviceType') ?? '';
    const control = f.get('controlURL') ?? '';
    if (!type || !control) continue;
    let url: URL;
    try {
      url = new URL(control, base);
    } catch {
      continue;
    }
    // The control URL must stay on the router that described itself.
    if (url.protocol !== 'http:' || url.host !== new URL(location).host) continue;
    services.push({ type, controlUrl: url.toString() });
  }
  const wan =
    services.find((s) => s.type === WAN_IP_CONNECTION_2) ??
    services.find((s) => s.type === WAN_IP_CONNECTION_1) ??
    services.find((s) => s.type === WAN_PPP_CONNECTION_1) ??
    null;
  const ipv6Firewall = services.find((s) => s.type === WAN_IPV6_FIREWALL_CONTROL_1) ?? null;
  const v2 = wan?.type === WAN_IP_CONNECTION_2 || /urn:schemas-upnp-org:device:InternetGatewayDevice:2/.test(xml);
  return { version: v2 ? 2 : 1, wan, ipv6Firewall };
}

async function readLimited(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new UpnpError(0, `answer larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function fetchDescription(location: string): Promise<IgdServices> {
  let res: Response;
  try {
    res = await fetch(location, { signal: AbortSignal.timeout(SOAP_TIMEOUT_MS), redirect: 'error' });
  } catch (e) {
    throw new UpnpError(0, `cannot read ${location}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new UpnpError(0, `${location}: HTTP ${res.status}`);
  return parseDescription(await readLimited(res), location);
}

/** Calls `action` and returns the leaf elements of its answer; a SOAP fault rejects with its UPnP error code. */
export async function soapCall(controlUrl: string, serviceType: string, action: string, args: ReadonlyArray<readonly [string, string | number]>): Promise<Map<string, string>> {
  const body =
    '<?xml version="1.0"?>\r\n' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
    `<s:Body><u:${action} xmlns:u="${serviceType}">` +
    args.map(([k, v]) => `<${k}>${xmlEscape(String(v))}</${k}>`).join('') +
    `</u:${action}></s:Body></s:Envelope>\r\n`;
  let res: Response;
  try {
    res = await fetch(controlUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'text/xml; charset="utf-8"', SOAPAction: `"${serviceType}#${action}"` },
      body,
      signal: AbortSignal.timeout(SOAP_TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (e) {
    throw new UpnpError(0, `${action}: ${(e as Error).message}`);
  }
  const text = await readLimited(res);
  const fields = leafElements(text);
  if (!res.ok) {
    const code = Number(fields.get('errorCode') ?? 0);
    throw new UpnpError(Number.isInteger(code) ? code : 0, `${action}: ${fields.get('errorDescription') ?? `HTTP ${res.status}`}${code ? ` (${code})` : ''}`);
  }
  return fields;
}
