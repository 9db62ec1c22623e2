import { describe, expect, it } from 'vitest';
import { AddressGuard, AddressRefused, rangeOf } from '../../src/federation/guard.js';
import { createHandshake, formatHandshake, parseHandshake } from '../../src/federation/handshake.js';
import { retryDelay } from '../../src/federation/outbox.js';

describe('the address guard', () => {
  it('calls only public unicast addresses public, IPv4-mapped IPv6 judged as IPv4', () => {
    const ranges = Object.fromEntries(
      ['8.8.8.8', '2001:4860:4860::8888', '127.0.0.1', '::1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', 'fe80::1', 'fc00::1', '0.0.0.0', '::', '100.64.0.1', '::ffff:127.0.0.1', '::ffff:8.8.8.8', '224.0.0.1']
        .map((ip) => [ip, rangeOf(ip)]),
    );
    expect(ranges).toEqual({
      '8.8.8.8': 'unicast', '2001:4860:4860::8888': 'unicast', '127.0.0.1': 'loopback', '::1': 'loopback', '10.0.0.1': 'private',
      '172.16.5.4': 'private', '192.168.1.1': 'private', '169.254.169.254': 'linkLocal', 'fe80::1': 'linkLocal', 'fc00::1': 'uniqueLocal',
      '0.0.0.0': 'unspecified', '::': 'unspecified', '100.64.0.1': 'carrierGradeNat', '::ffff:127.0.0.1': 'loopback', '::ffff:8.8.8.8': 'unicast',
      '224.0.0.1': 'multicast',
    });
  });

  it('refuses names that resolve to loopback, and allows them when told to', async () => {
    await expect(new AddressGuard(false).resolve('localhost')).rejects.toBeInstanceOf(AddressRefused);
    await expect(new AddressGuard(false).resolve('[::1]')).rejects.toMatchObject({ range: 'loopback' });
    await expect(new AddressGuard(false).resolve('8.8.8.8')).resolves.toEqual({ address: '8.8.8.8', family: 4 });
    expect((await new AddressGuard(true).resolve('localhost')).address).toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});

describe('the federation handshake', () => {
  const sign = (text: string) => Buffer.from(text).toString('base64url').slice(0, 86);

  it('round-trips through the Authorization header', () => {
    const h = createHandshake('a.example', 'b.example:8443', 'ed25519:abc', sign, 1_763_800_000_000);
    expect(parseHandshake(formatHandshake(h))).toEqual(h);
  });

  it('rejects headers that are not exactly a handshake', () => {
    const good = formatHandshake(createHandshake('a.example', 'b.example', 'ed25519:abc', sign));
    for (const bad of [
      undefined, '', 'Bearer x', good.replace('MonamiSig', 'monamisig'), good.replace(/ts="\d+"/, 'ts="soon"'), good.replace(/nonce="[0-9a-f]+"/, 'nonce="zz"'),
      good.replace('origin="a.example"', 'origin="a.example", origin="c.example"'), good.replace(/, sig="[^"]*"/, ''), `${good}, ${'x'.repeat(2000)}`,
      good.replace('origin="a.example"', 'origin="a example"'),
    ]) {
      expect(parseHandshake(bad)).toBeNull();
    }
  });
});

describe('outbox retries', () => {
  it('back off exponentially with jitter between half and all of the step, up to the cap', () => {
    const policy = { baseMs: 1000, maxMs: 300_000 };
    expect([1, 2, 3, 4].map((n) => retryDelay(n, policy, () => 0.999999))).toEqual([1000, 2000, 4000, 8000]);
    expect([1, 2, 3, 4].map((n) => retryDelay(n, policy, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect(retryDelay(30, policy, () => 0.999999)).toBe(300_000);
    expect(retryDelay(1000, policy, () => 0)).toBe(150_000);
  });
});
