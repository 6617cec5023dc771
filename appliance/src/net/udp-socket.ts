// The server engine's UDP socket and clock for a loop that owns its worker thread: batch
// receive (recvmmsg) into memory read through typed arrays created once, a send queue flushed
// with one sendmmsg, and precise sleeps to absolute monotonic deadlines that can end early when
// a datagram arrives: node:dgram plus a timer thread waking the event loop cost more CPU in
// per-datagram and per-tick wake-ups than the audio work (test/bench/README.md). IPv4, or dual-stack
// IPv6 bound to "::". See README.md beside this.
import { native } from '../audio/native.js';
import type { NativeUdpSocket as NativeUdpSocketShape, NativeUdpSocketOptions, NativeUdpStats } from '../audio/native.js';

export type UdpSocketOptions = NativeUdpSocketOptions;
export type UdpSocketStats = NativeUdpStats;

/**
 * A bound, non-blocking IPv4 UDP socket. Construction throws an Error whose `code` is the errno
 * name (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`, …) with `syscall`, `address` and `port` set.
 * Wrong argument types throw TypeError; network errors never throw (they are counted in
 * stats()); every method but close() throws once the socket is closed.
 *
 * - `receive()` reads up to `maxBatch` pending datagrams without blocking and returns the count.
 *   Datagram k is `recvData.subarray(k * slotBytes, k * slotBytes + min(recvLengths[k], slotBytes))`
 *   from `recvAddrs[k]` (host-order uint32) : `recvPorts[k]`. A `recvLengths[k]` above `slotBytes`
 *   means the datagram was truncated (counted in `stats().truncated`). The views are created once
 *   and their contents are only valid until the next receive().
 * - Sending goes through `sendQueueLength` slots of `slotBytes`: slot k is
 *   `sendData[k * slotBytes …]`, `sendLengths[k]` long, to `sendAddrs[k]` : `sendPorts[k]`.
 *   `queue(bytes, offset, length, addr, port)` copies a datagram into the next slot (`queued` of
 *   them so far); false when all slots are taken (counted `queueFull`) or it is longer than a slot
 *   (counted in `sendErrors`, EMSGSIZE). Or write slots 0…count−1 in place (no copy, no call per
 *   datagram) and pass `count` to flush.
 *   `flush(count = queued)` sends slots 0…count−1 with sendmmsg and returns how many went out; a
 *   slot whose length is out of range, or that the kernel refuses, is skipped and counted, and when
 *   the send buffer is full (EAGAIN/ENOBUFS) the rest is dropped and counted. `queued` is then 0.
 * - `sendTo(...)` sends one datagram at once; false (counted) when the kernel refuses it.
 * - `waitReadable(timeoutMs)` blocks the thread until a datagram is pending (true) or the timeout
 *   (false). `sleepUntil(deadlineNs, wakeOnReadable)` blocks until the `monotonicNowNs()` instant
 *   `deadlineNs` (false), or until the socket is readable if `wakeOnReadable` (true). Both block
 *   the whole thread, timers and messages included, and are capped at an hour: termination of a
 *   worker waits for them to return.
 */
export type NativeUdpSocket = NativeUdpSocketShape;
export const NativeUdpSocket = native.NativeUdpSocket;

/**
 * CLOCK_MONOTONIC in ns counted from a process-wide origin (fixed when the addon first loads,
 * shared by all workers), so a JS number stays exact to the nanosecond for 2^53 ns ≈ 104 days of
 * uptime, and then loses one bit of resolution per doubling. This is the scale of sleepUntil().
 */
export const monotonicNowNs: () => number = native.monotonicNowNs;

/** The origin of monotonicNowNs() on the process.hrtime.bigint() scale. */
export const monotonicOriginNs: () => bigint = native.monotonicOriginNs;

/** '127.0.0.1' → 0x7f000001 (host order, unsigned). Throws TypeError for anything but a dotted quad. */
export function ipv4ToUint(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) throw new TypeError(`ipv4ToUint: "${s}" is not a dotted-quad IPv4 address`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new TypeError(`ipv4ToUint: "${s}" is not a dotted-quad IPv4 address`);
    n = n * 256 + Number(p);
  }
  return n;
}

/** "a.b.c.d:port", or "[v6]:port" for an IPv6 address. */
export function endpointText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** 0x7f000001 → '127.0.0.1'. Throws TypeError unless n is an integer in 0…2^32−1. */
export function uintToIpv4(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new TypeError(`uintToIpv4: ${n} is not a uint32`);
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
