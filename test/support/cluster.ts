import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Backend } from './backends.js';
import { expect } from 'vitest';
import { startServer, type TestServer, type User } from './server.js';

export const REDIS_URL = process.env.MONAMI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const REQUIRE_SERVICES = process.env.MONAMI_REQUIRE_SERVICES === '1';

/** Whether the cluster suites can run; with MONAMI_REQUIRE_SERVICES=1 a missing Redis is an error. */
export async function redisReachable(url = REDIS_URL): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    if (REQUIRE_SERVICES) throw new Error(`Redis is required (MONAMI_REQUIRE_SERVICES=1) but ${url} is unreachable`);
    return false;
  } finally {
    client.disconnect();
  }
}

/** A key prefix of its own, so runs never see each other; removed by `dropPrefix`. */
export const uniquePrefix = () => `monami-test-${randomBytes(4).toString('hex')}:`;

export async function dropPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const client = new Redis(url);
  try {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length) await client.del(...keys);
  } finally {
    client.disconnect();
  }
}

/** `n` nodes of one deployment: one PostgreSQL database, one Redis, one key prefix. */
export async function startNodes(backend: Backend, n: number, prefix: string, env: Record<string, string> = {}, url = REDIS_URL): Promise<TestServer[]> {
  const nodes: TestServer[] = [];
  for (let i = 0; i < n; i++) nodes.push(await startServer(backend, { REDIS_URL: url, MONAMI_REDIS_PREFIX: prefix, ...env }));
  return nodes;
}

/** Makes two local users friends through Monster frames (1001, then 1002), wherever each is connected. */
export async function befriendByMonster(a: User, b: User, domain = 'localhost'): Promise<void> {
  expect(await a.session.request({ code: '1001', to: `@${b.account}:${domain}` })).toMatchObject({ type: '2' });
  await b.session.next((f) => f.code === 520);
  expect(await b.session.request({ code: '1002', to: `@${a.account}:${domain}` })).toMatchObject({ statusCode: '200' });
  await a.session.next((f) => f.code === 301);
}
