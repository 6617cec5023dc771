// The box's ports as the boot test reaches them: each guest port comes from where the image
// declares it (the admin's in its unit's ExecStart, the server's in the settings schema's default),
// forwarded from a free loopback port of the host.
import { freeTcpPort, freeUdpPort } from '../../harness/ports.js';
import { unitExecStart } from '../../harness/units.js';
import { settingDef } from '../../../appliance/src/settings/schema.js';
import type { Forward } from './vm.js';

export interface BoxPorts {
  /** Host port → the server's default UDP port. */
  readonly udp: number;
  readonly guestUdp: number;
  /** Host port → the port the journey moves the server to. */
  readonly udpMoved: number;
  readonly guestUdpMoved: number;
  /** Host port → the admin's HTTP port. */
  readonly http: number;
  readonly guestHttp: number;
  /** What the admin answers on a fresh box: where it sends a visitor, and how to tell the page. */
  readonly firstPage: { path: string; pattern: RegExp; what: string };
  readonly forwards: readonly Forward[];
}

export async function boxPorts(): Promise<BoxPorts> {
  const exec = unitExecStart('riffbox-admin.service');
  const i = exec.indexOf('--port');
  const guestHttp = i >= 0 ? Number(exec[i + 1]) : NaN;
  if (!Number.isInteger(guestHttp)) throw new Error('riffbox-admin.service names no --port');
  const guestUdp = settingDef('server.port').default as number;
  const guestUdpMoved = guestUdp + 1;
  const [udp, udpMoved, http] = [await freeUdpPort(), await freeUdpPort(), await freeTcpPort()];
  return {
    udp, guestUdp, udpMoved, guestUdpMoved, http, guestHttp,
    firstPage: { path: '/setup', pattern: /<form[^>]*action="\/setup"/, what: 'the first-run (claim) page' },
    forwards: [
      { proto: 'udp', host: udp, guest: guestUdp },
      { proto: 'udp', host: udpMoved, guest: guestUdpMoved },
      { proto: 'tcp', host: http, guest: guestHttp },
    ],
  };
}
