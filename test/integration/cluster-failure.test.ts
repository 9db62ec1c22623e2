import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { MinamiSession } from '../../client/minami.js';
import { encodeText } from '../../client/monster.js';
import pg from 'pg';
import { availableBackends, createBackend, POSTGRES_ADMIN_URL, type Backend } from '../support/backends.js';
import { befriendByMonster, dropPrefix, REDIS_URL, redisReachable, startNodes, uniquePrefix } from '../support/cluster.js';
import { serveProcess } from '../support/process.js';
import { freePort, startFederatedServer } from '../support/federation.js';
import { registerAndLogin, Socket, startServer, type TestServer, type User } from '../support/server.js';

const runs = (await availableBackends()).includes('postgres') && (await redisReachable());
const addr = (u: User) => `@${u.account}:localhost`;
const isPush = (code: string) => (f: Record<string, unknown>) => f.code === code && f.statusCode === '300';

async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A node as its own process, so it can be killed. */
const nodeProcess = (env: Record<string, string>) => serveProcess([], { LOG_LEVEL: 'warn', ...env });

describe.runIf(runs)('a deployment of several nodes when parts of it fail', () => {
  const backends: Backend[] = [];
  const servers: TestServer[] = [];
  const children: ChildProcess[] = [];
  const prefixes: string[] = [];
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(backends.map((b) => b.drop()));
    await Promise.all(prefixes.map((p) => dropPrefix(p)));
  });

  it('loses nothing acknowledged when a node is killed: its users reconnect to another and resume without gaps or duplicates', async () => {
    const backend = await createBackend('postgres');
    backends.push(backend);
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const env = { DATABASE_URL: backend.databaseUrl!, REDIS_URL: REDIS_URL, MONAMI_REDIS_PREFIX: prefix };
    const [n1] = await startNodes(backend, 1, prefix);
    servers.push(n1!);
    const n2 = await nodeProcess(env);
    children.push(n2.child);

    const bob = await registerAndLogin(n1!);
    const alice = await registerAndLogin(n1!);
    await befriendByMonster(alice, bob);
    // Dave is connected to node 2 only: when it dies, his friend Bob hears he is offline.
    const dave = await registerAndLogin(n1!);
    await befriendByMonster(dave, bob);
    const daveOn2 = MinamiSession.connect(n2.url, { account: dave.account, token: dave.auth.token }, Socket);
    await daveOn2.login;
    await dave.session.close();
    // Alice sends from node 2; Bob's phone also listens on node 2, his laptop on node 1.
    const aliceOn2 = MinamiSession.connect(n2.url, { account: alice.account, token: alice.auth.token }, Socket);
    await aliceOn2.login;
    const phone = MinamiSession.connect(n2.url, { account: bob.account, token: bob.auth.token }, Socket);
    await phone.login;
    const phoneGot: { seq: number; id: string }[] = [];
    const laptopGot: string[] = [];
    phone.onFrame((f) => isPush('2001')(f) && phoneGot.push({ seq: Number(f.seq), id: String(f.messageId) }));
    bob.session.onFrame((f) => isPush('2001')(f) && laptopGot.push(String(f.messageId)));

    const acked: string[] = [];
    let next = 0;
    const send = async (session: MinamiSession, count: number) => {
      for (let i = 0; i < count; i++) {
        const messageId = `k-${String(next++).padStart(4, '0')}`;
        const answer = await session.request({ code: '2001', to: addr(bob), text: encodeText(messageId), messageId }).catch(() => null);
        if (answer?.statusCode === '200') acked.push(messageId);
        if (!answer) return;
      }
    };
    const streaming = send(aliceOn2, 1_000_000);
    await waitUntil(async () => acked.length >= 150, '150 acknowledged messages');
    n2.child.kill('SIGKILL');
    await streaming;

    // Both reconnect to node 1; the phone resumes after the last entry it saw.
    const lastSeq = Math.max(0, ...phoneGot.map((p) => p.seq));
    const phoneAgain = MinamiSession.connect(n1!.url, { account: bob.account, token: bob.auth.token }, Socket, lastSeq);
    phoneAgain.onFrame((f) => isPush('2001')(f) && phoneGot.push({ seq: Number(f.seq), id: String(f.messageId) }));
    await phoneAgain.login;
    const aliceAgain = MinamiSession.connect(n1!.url, { account: alice.account, token: alice.auth.token }, Socket);
    await aliceAgain.login;
    await send(aliceAgain, 50);

    await waitUntil(async () => acked.every((id) => phoneGot.some((p) => p.id === id)), 'the phone to have every acknowledged message');
    const ids = phoneGot.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(phoneGot.map((p) => p.seq)).toEqual([...phoneGot.map((p) => p.seq)].sort((x, y) => x - y));
    for (const id of acked) expect(laptopGot).toContain(id);
    const daveGone = await bob.session.next((f) => f.code === 300 && (f.friend as { id: string }).id === dave.auth.id, 30_000);
    expect(daveGone.friend).toMatchObject({ online: false });
    await Promise.all([phoneAgain.close(), aliceAgain.close(), alice.session.close(), bob.session.close()]);
  }, 120_000);

  it('keeps serving when Redis restarts: stored messages are kept and delivery across nodes resumes when it is back', async () => {
    const port = await freePort();
    const startRedis = () => {
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      children.push(child);
      return child;
    };
    let redis = startRedis();
    const url = `redis://127.0.0.1:${port}`;
    await waitUntil(() => redisReachable(url), 'redis to start');
    const backend = await createBackend('postgres');
    backends.push(backend);
    const prefix = uniquePrefix();
    const nodes = await startNodes(backend, 2, prefix, {}, url);
    servers.push(...nodes);
    const alice = await registerAndLogin(nodes[0]!);
    const bob = await registerAndLogin(nodes[1]!);
    await befriendByMonster(alice, bob);
    expect(await alice.session.request({ code: '2001', to: addr(bob), text: encodeText('before'), messageId: 'r-1' })).toMatchObject({ statusCode: '200' });
    expect(await bob.session.next(isPush('2001'))).toMatchObject({ messageId: 'r-1' });

    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));
    // Stored messages are still acknowledged (they are in PostgreSQL); live dialogues fail with their code.
    expect(await alice.session.request({ code: '2001', to: addr(bob), text: encodeText('during'), messageId: 'r-2' })).toMatchObject({ statusCode: '200' });
    expect(await alice.session.send(bob.auth.id, 'live?', 'live-1')).toMatchObject({ code: 508 });

    redis = startRedis();
    await waitUntil(async () => (await alice.session.send(bob.auth.id, 'live again', `live-${Date.now()}`)).code === 200, 'delivery across nodes to resume');
    expect(await alice.session.request({ code: '2001', to: addr(bob), text: encodeText('after'), messageId: 'r-3' })).toMatchObject({ statusCode: '200' });
    expect(await bob.session.next((f) => isPush('2001')(f) && f.messageId === 'r-3')).toMatchObject({ from: addr(alice) });
    // What Bob missed live, he gets by asking for what he has not seen.
    const synced = MinamiSession.connect(nodes[1]!.url, { account: bob.account, token: bob.auth.token }, Socket, 1);
    await synced.login;
    expect(await synced.next(isPush('2001'))).toMatchObject({ messageId: 'r-2' });
    await Promise.all([synced.close(), alice.session.close(), bob.session.close()]);
    redis.kill('SIGKILL');
  }, 60_000);

  it('hands a dead node\'s federation outbox to another node, which delivers it in order once the remote is back', async () => {
    const backend = await createBackend('postgres');
    backends.push(backend);
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const remoteBackend = await createBackend('sqlite');
    backends.push(remoteBackend);
    let remote = await startFederatedServer(remoteBackend);
    // Both nodes answer for one domain; the live node (node 1) is the one other servers reach.
    const port = await freePort();
    const domain = `127.0.0.1:${port}`;
    const federation = {
      MONAMI_DOMAIN: domain, MONAMI_FEDERATION_TLS: 'false', MONAMI_FEDERATION_ALLOW_PRIVATE: 'true',
      MONAMI_FEDERATION_RETRY_BASE_MS: '50', MONAMI_FEDERATION_RETRY_MAX_SECONDS: '1', MONAMI_FEDERATION_LEASE_SECONDS: '2',
    };
    const n1 = await startServer(backend, { ...federation, PORT: String(port), REDIS_URL: REDIS_URL, MONAMI_REDIS_PREFIX: prefix });
    servers.push(n1);
    const n2 = await nodeProcess({ ...federation, DATABASE_URL: backend.databaseUrl!, REDIS_URL: REDIS_URL, MONAMI_REDIS_PREFIX: prefix });
    children.push(n2.child);

    const bob = await registerAndLogin(remote);
    const alice = await registerAndLogin(n1);
    const bobAddress = `@${bob.account}:${remote.domain}`;
    expect(await alice.session.request({ code: '1001', to: bobAddress })).toMatchObject({ type: '2' });
    await bob.session.next((f) => f.code === 520);
    expect(await bob.session.request({ code: '1002', to: `@${alice.account}:${domain}` })).toMatchObject({ statusCode: '200' });
    await alice.session.next((f) => f.code === 301);
    await bob.session.close();
    await remote.close();

    // Alice, now on node 2, writes while the remote is down; node 2 then dies holding the queue.
    const aliceOn2 = MinamiSession.connect(n2.url, { account: alice.account, token: alice.auth.token }, Socket);
    await aliceOn2.login;
    const sent = Array.from({ length: 10 }, (_, i) => `q-${i}`);
    for (const messageId of sent) expect(await aliceOn2.request({ code: '2001', to: bobAddress, text: encodeText(messageId), messageId })).toMatchObject({ statusCode: '200' });
    n2.child.kill('SIGKILL');

    remote = await startFederatedServer(remoteBackend, {}, remote.port);
    servers.push(remote);
    const bobAgain = MinamiSession.connect(remote.url, { account: bob.account, token: bob.auth.token }, Socket);
    await bobAgain.login;
    const received: string[] = [];
    bobAgain.onFrame((f) => isPush('2001')(f) && received.push(String(f.messageId)));
    await waitUntil(async () => received.length >= sent.length, 'node 1 to deliver what node 2 queued');
    expect(received).toEqual(sent);
    await Promise.all([bobAgain.close(), alice.session.close()]);
  }, 60_000);

  it('answers errors while PostgreSQL is unreachable and recovers by itself when it is back', async () => {
    const backend = await createBackend('postgres');
    backends.push(backend);
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const nodes = await startNodes(backend, 2, prefix);
    servers.push(...nodes);
    const alice = await registerAndLogin(nodes[0]!);
    const bob = await registerAndLogin(nodes[1]!);
    await befriendByMonster(alice, bob);
    const database = new URL(backend.databaseUrl!).pathname.slice(1);
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database]);
      // Clear errors, no crash: the health check says so, a stored message is refused (not lost: never acknowledged).
      await waitUntil(async () => (await fetch(`${nodes[0]!.url}/healthz`)).status === 503, 'the health check to report the store');
      expect(await alice.session.request({ code: '2001', to: addr(bob), text: encodeText('lost?'), messageId: 'pg-1' })).toMatchObject({ statusCode: '500' });
      expect((await nodes[1]!.http.register({ account: `nopg${Date.now().toString(36)}`, password: 'pw-nopg1', mail: 'n@example.org' })).code).toBe(500);
      // Live dialogues between nodes need no database.
      expect(await alice.session.send(bob.auth.id, 'still live', 'pg-live')).toMatchObject({ code: 200 });
    } finally {
      await admin.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await waitUntil(async () => (await fetch(`${nodes[0]!.url}/healthz`)).status === 200, 'the node to recover');
    expect(await alice.session.request({ code: '2001', to: addr(bob), text: encodeText('back'), messageId: 'pg-1' })).toMatchObject({ statusCode: '200' });
    expect(await bob.session.next((f) => isPush('2001')(f) && f.messageId === 'pg-1')).toMatchObject({ from: addr(alice) });
    await Promise.all([alice.session.close(), bob.session.close()]);
  });
});
