import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export class AddressRefused extends Error {
  constructor(readonly host: string, readonly address: string, readonly range: string) {
    super(address ? `${host} resolves to ${address} (${range}), which this server does not contact` : `${host} has no address`);
  }
}

/** The one range of public, routable addresses; every other range ipaddr.js names is refused. */
const PUBLIC_RANGE = 'unicast';

/** The range of an address: IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry. */
export function rangeOf(address: string): string {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range();
}

export interface Resolved {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a remote server's host and refuses loopback, private, link-local, unspecified
 * and every other non-public target (a name that resolves to one included) unless the
 * operator allows private targets. Connections then go to the address checked here, so a
 * second resolution cannot point them elsewhere.
 */
export class AddressGuard {
  constructor(private readonly allowPrivate: boolean) {}

  async resolve(host: string): Promise<Resolved> {
    const bare = host.startsWith('[') ? host.slice(1, -1) : host;
    const found = ipaddr.isValid(bare)
      ? [{ address: bare, family: ipaddr.parse(bare).kind() === 'ipv6' ? 6 : 4 }]
      : await lookup(bare, { all: true, verbatim: true });
    if (found.length === 0) throw new AddressRefused(host, '', 'no address');
    for (const { address } of found) {
      const range = rangeOf(address);
      if (range !== PUBLIC_RANGE && !this.allowPrivate) throw new AddressRefused(host, address, range);
    }
    const first = found[0]!;
    return { address: first.address, family: first.family === 6 ? 6 : 4 };
  }

  /** A `lookup` for http/ws that answers with the checked address only. */
  static pinned(resolved: Resolved): LookupFunction {
    return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      if (options?.all) callback(null, [resolved]);
      else callback(null, resolved.address, resolved.family);
    }) as LookupFunction;
  }
}
