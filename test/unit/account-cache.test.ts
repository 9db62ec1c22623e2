import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AccountCache } from '../../src/service/account-cache.js';
import type { AccountRecord } from '../../src/store/store.js';

const account = (name: string, n: number) => ({ account: name, name: `v${n}` }) as unknown as AccountRecord;

describe('AccountCache', () => {
  // Expiry reads Date.now(): the tests move that clock instead of waiting for it.
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'] }));
  afterEach(() => vi.useRealTimers());
  const later = (ms: number) => vi.setSystemTime(Date.now() + ms);

  it('serves repeats from memory, reloads after forget or expiry, never caches a miss', async () => {
    let loads = 0;
    let version = 0;
    let exists = true;
    const load = async (name: string) => (loads++, exists ? account(name, version) : null);
    const cache = new AccountCache(50, 10);
    expect((await cache.get('a', load))?.name).toBe('v0');
    version = 1;
    expect((await cache.get('a', load))?.name).toBe('v0');
    expect(loads).toBe(1);
    cache.forget('a');
    expect((await cache.get('a', load))?.name).toBe('v1');
    exists = false;
    cache.forget('a');
    expect(await cache.get('a', load)).toBeNull();
    exists = true;
    expect((await cache.get('a', load))?.name).toBe('v1');
    later(50);
    version = 2;
    expect((await cache.get('a', load))?.name).toBe('v2');
    expect(loads).toBe(5);
  });

  it('hands over a fresh entry without waiting, and nothing it would have to load', async () => {
    const cache = new AccountCache(50, 10);
    expect(cache.peek('a')).toBeUndefined();
    await cache.get('a', async (name) => account(name, 7));
    expect(cache.peek('a')?.name).toBe('v7');
    cache.forget('a');
    expect(cache.peek('a')).toBeUndefined();
    await cache.get('a', async (name) => account(name, 8));
    later(49);
    expect(cache.peek('a')?.name).toBe('v8');
    later(1);
    expect(cache.peek('a')).toBeUndefined();
  });

  it('stays within its size bound', async () => {
    const cache = new AccountCache(10_000, 3);
    let loads = 0;
    const load = async (name: string) => (loads++, account(name, 0));
    for (const n of ['a', 'b', 'c', 'd']) await cache.get(n, load);
    await cache.get('a', load);
    expect(loads).toBe(5);
  });
});
