import { describe, expect, it } from 'vitest';
import { addressDomain, endpointUrl, formatAddress, parseAddress } from '../../src/domain/address.js';

describe('Monster addresses', () => {
  it.each([
    ['@bobcbui:ooqn.com', { name: 'bobcbui', prefix: null, host: 'ooqn.com', port: null }, 'ws://ooqn.com/bobcbui'],
    ['@bobcbui:user:ooqn.com', { name: 'bobcbui', prefix: 'user', host: 'ooqn.com', port: null }, 'ws://ooqn.com/user/bobcbui'],
    ['@bobcbui:api:ooqn.com', { name: 'bobcbui', prefix: 'api', host: 'ooqn.com', port: null }, 'ws://ooqn.com/api/bobcbui'],
    ['@bobcbui:api:232.222.123:8080', { name: 'bobcbui', prefix: 'api', host: '232.222.123', port: 8080 }, 'ws://232.222.123:8080/api/bobcbui'],
    ['@bob:127.0.0.1:9000', { name: 'bob', prefix: null, host: '127.0.0.1', port: 9000 }, 'ws://127.0.0.1:9000/bob'],
    ['@bob:[::1]:9000', { name: 'bob', prefix: null, host: '[::1]', port: 9000 }, 'ws://[::1]:9000/bob'],
    ['@bob:api:[::1]', { name: 'bob', prefix: 'api', host: '[::1]', port: null }, 'ws://[::1]/api/bob'],
    ['@Bob:EXAMPLE.org', { name: 'Bob', prefix: null, host: 'example.org', port: null }, 'ws://example.org/Bob'],
  ])('parses %s and maps it to its endpoint', (text, address, url) => {
    const parsed = parseAddress(text);
    expect(parsed).toEqual(address);
    expect(endpointUrl(parsed!, false)).toBe(url);
    expect(parseAddress(formatAddress(parsed!))).toEqual(address);
  });

  it('reads a trailing number as a port, never as a host', () => {
    expect(parseAddress('@bob:api:8080')).toEqual({ name: 'bob', prefix: null, host: 'api', port: 8080 });
    expect(addressDomain(parseAddress('@bob:api:8080')!)).toBe('api:8080');
    expect(endpointUrl(parseAddress('@bob:x.org')!, true)).toBe('wss://x.org/bob');
  });

  it.each([
    '', 'bob:ooqn.com', '@bob', '@:ooqn.com', '@bob:', '@bob:a:b:c.com', '@bob:ooqn.com:0', '@bob:ooqn.com:70000',
    '@bo b:ooqn.com', '@bob:ooqn.com/x', '@bob:-bad-.com', '@bob:[::1', '@bob:x]:80', `@${'a'.repeat(65)}:x.com`,
    `@bob:${'a'.repeat(400)}.com`, '@../etc:x.com', '@bob:pre fix:x.com',
  ])('rejects %j', (text) => {
    expect(parseAddress(text)).toBeNull();
  });
});
