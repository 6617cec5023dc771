// How an address and port are written for people and APIs, in a module without the native addon so the
// settings, the admin and the client's address parsing can use it too.

/** "a.b.c.d:port", or "[v6]:port" for an IPv6 address (a name has no colon and stays as it is). */
export function endpointText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
