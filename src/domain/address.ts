/**
 * Monster addresses. The seed gives four forms, which map to WebSocket endpoints:
 *   @name:domain              -> ws://domain/name
 *   @name:prefix:domain       -> ws://domain/prefix/name
 *   @name:host:port           -> ws://host:port/name
 *   @name:prefix:host:port    -> ws://host:port/prefix/name
 * A trailing all-digit segment is always a port, so "@bob:api:8080" is host "api"
 * port 8080, never prefix "api" on host "8080". IPv6 hosts are written in brackets.
 */
export interface Address {
  name: string;
  prefix: string | null;
  host: string;
  port: number | null;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const PREFIX = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6_BRACKETED = /^\[[0-9A-Fa-f:.]{2,45}\]$/;
const MAX_ADDRESS_LENGTH = 400;

export function parseAddress(input: string): Address | null {
  if (typeof input !== 'string' || input.length > MAX_ADDRESS_LENGTH || !input.startsWith('@')) return null;
  const body = input.slice(1);
  const firstColon = body.indexOf(':');
  if (firstColon < 0) return null;
  const name = body.slice(0, firstColon);
  let rest = body.slice(firstColon + 1);

  let port: number | null = null;
  const portMatch = /:(\d{1,5})$/.exec(rest);
  if (portMatch && !rest.endsWith(']')) {
    port = Number(portMatch[1]);
    if (port < 1 || port > 65535) return null;
    rest = rest.slice(0, portMatch.index);
  }

  let host: string;
  let prefix: string | null = null;
  if (rest.endsWith(']')) {
    const open = rest.lastIndexOf('[');
    if (open < 0) return null;
    host = rest.slice(open);
    const before = rest.slice(0, open);
    if (before !== '') {
      if (!before.endsWith(':')) return null;
      prefix = before.slice(0, -1);
    }
  } else {
    const lastColon = rest.lastIndexOf(':');
    host = lastColon < 0 ? rest : rest.slice(lastColon + 1);
    if (lastColon >= 0) prefix = rest.slice(0, lastColon);
  }

  if (!NAME.test(name)) return null;
  if (prefix !== null && !PREFIX.test(prefix)) return null;
  if (!HOSTNAME.test(host) && !IPV6_BRACKETED.test(host)) return null;
  return { name, prefix, host: host.toLowerCase(), port };
}

export function formatAddress(a: Address): string {
  const parts = ['@' + a.name];
  if (a.prefix !== null) parts.push(a.prefix);
  parts.push(a.host);
  if (a.port !== null) parts.push(String(a.port));
  return parts.join(':');
}

/** The WebSocket endpoint of an address, as the seed maps it. */
export function endpointUrl(a: Address, secure: boolean): string {
  const authority = a.port === null ? a.host : `${a.host}:${a.port}`;
  const path = a.prefix === null ? `/${a.name}` : `/${a.prefix}/${a.name}`;
  return `${secure ? 'wss' : 'ws'}://${authority}${path}`;
}

/** The server part of an address: what federation authenticates ("host" or "host:port"). */
export function addressDomain(a: Address): string {
  return a.port === null ? a.host : `${a.host}:${a.port}`;
}
