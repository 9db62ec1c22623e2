import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT_COST, hashPassword, verifyPassword } from '../../src/service/passwords.js';
import { WindowCounter } from '../../src/service/rate-limiter.js';
import { isHex128, randomHex128, tokenDigest } from '../../src/service/secrets.js';
import { isValidAccountName } from '../../src/domain/account.js';
import { configFromEnv } from '../../src/server/config.js';

describe('passwords', () => {
  it('hashes with a random salt and the default cost, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).not.toBe(b);
    expect(a).toMatch(new RegExp(`^scrypt\\$${DEFAULT_SCRYPT_COST.log2N}\\$8\\$1\\$`));
    expect(a).not.toContain('correct horse');
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsf', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('verifies hashes made with another cost, and rejects foreign formats', async () => {
    const cheap = await hashPassword('pw', { log2N: 10, r: 8, p: 1 });
    expect(await verifyPassword('pw', cheap)).toBe(true);
    expect(await verifyPassword('pw', 'pw')).toBe(false);
    expect(await verifyPassword('pw', 'md5$abc')).toBe(false);
  });
});

describe('tokens and ids', () => {
  it('are 128 random bits in hex, stored only as a digest', () => {
    const seen = new Set(Array.from({ length: 1000 }, randomHex128));
    expect(seen.size).toBe(1000);
    for (const t of seen) expect(isHex128(t)).toBe(true);
    const t = randomHex128();
    expect(tokenDigest(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenDigest(t)).not.toContain(t);
    expect(isHex128('G'.repeat(32))).toBe(false);
  });
});

describe('WindowCounter', () => {
  it('exhausts after the limit and recovers when the window passes', () => {
    let now = 0;
    const counter = new WindowCounter(2, 1000, () => now);
    expect(counter.exhausted('k')).toBe(false);
    counter.add('k');
    counter.add('k');
    expect(counter.exhausted('k')).toBe(true);
    expect(counter.exhausted('other')).toBe(false);
    now = 1001;
    expect(counter.exhausted('k')).toBe(false);
    counter.add('k');
    expect(counter.exhausted('k')).toBe(false);
    counter.reset('k');
    counter.stop();
  });
});

describe('account names', () => {
  it('allow address-safe names and reserve the server’s paths', () => {
    expect(['alice', 'bob_1', 'a.b-c', '9lives'].every(isValidAccountName)).toBe(true);
    expect(['im', 'metrics', 'healthz', 'Alice', '_x', '', 'a/b', 'a:b', '@a'].some(isValidAccountName)).toBe(false);
  });
});

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = configFromEnv({});
    expect([c.port, c.host, c.domain, c.logLevel, c.databaseUrl]).toEqual([8080, '0.0.0.0', 'localhost', 'info', undefined]);
    expect(c.dataDir.endsWith('/data')).toBe(true);
    expect(c.publicUrl).toBe('http://localhost:8080');
    expect(configFromEnv({ MONAMI_DOMAIN: 'chat.example.org:8443', PORT: '9000' }).publicUrl).toBe('http://chat.example.org:8443');
    expect(configFromEnv({ MONAMI_DOMAIN: 'chat.example.org', PORT: '9000' }).publicUrl).toBe('http://chat.example.org:9000');
    expect(configFromEnv({ MONAMI_PUBLIC_URL: 'https://chat.example.org/' }).publicUrl).toBe('https://chat.example.org');
  });

  it('refuses nonsense with a message naming the variable', () => {
    expect(() => configFromEnv({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => configFromEnv({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => configFromEnv({ MONAMI_TRUST_PROXY: 'maybe' })).toThrow(/MONAMI_TRUST_PROXY/);
    expect(() => configFromEnv({ DATABASE_URL: 'mysql://x/y' })).toThrow(/DATABASE_URL/);
  });
});
