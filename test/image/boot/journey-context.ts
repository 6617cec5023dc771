// What the journey's steps share: the VM, the report, the host's peers and the owner's phone.
import type { ProcessGroup } from '../../harness/processes.js';
import type { JamulusServer } from '../../harness/jamulus.js';
import type { BoxPorts } from './box-ports.js';
import type { Dyndns, Friend } from './host-peers.js';
import type { Phone } from './phone.js';
import type { Report } from './report.js';
import type { Vm } from './vm.js';

export interface Journey {
  readonly g: ProcessGroup;
  readonly vm: Vm;
  readonly r: Report;
  readonly ports: BoxPorts;
  readonly phone: Phone;
  /** The admin password the owner chose at the claim. */
  password: string;
  /** The UDP port friends use now (the host side of the forward). */
  friendPort: number;
  friend?: Friend;
  directory?: JamulusServer;
  dyndns?: Dyndns;
  /** The server name the owner set last. */
  serverName: string;
  /** The claim code used at the claim, which the card must no longer carry after the next boot. */
  spentCode?: string;
  deadlineMs: number;
}

/** The sine played into the box's input (its musician), and the one the friend plays. */
export const BOX_HZ = 523;
