import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableBackends, createBackend, type Backend } from '../support/backends.js';
import { startFederatedServer, type FederatedServer } from '../support/federation.js';
import { registerAndLogin } from '../support/server.js';
import type { FederationStore } from '../../src/store/federation-store.js';

const backends = await availableBackends();

describe.each(backends)('what federation keeps in the database, on %s', (backendName) => {
  let backend: Backend;
  let server: FederatedServer;
  let fed: FederationStore;
  beforeAll(async () => {
    backend = await createBackend(backendName);
    // An address nobody answers at: whatever is queued stays in the outbox.
    server = await startFederatedServer(backend, { MONAMI_FEDERATION_RETRY_MAX_SECONDS: '3600', MONAMI_FEDERATION_RETRY_BASE_MS: '600000' });
    fed = server.monami.store.federation();
  });
  afterAll(async () => {
    await server?.close();
    await backend?.drop();
  });

  it('claims a remote frame once: busy while claimed, its answer afterwards, taken over when the claim is stale, handled again when given up', async () => {
    const key = { origin: 'a.example', sender: '@x:a.example', code: 1001, messageId: 'k1' };
    expect(await fed.claim(key, 60_000)).toEqual({ state: 'claimed' });
    expect(await fed.claim(key, 60_000)).toEqual({ state: 'busy' });
    expect(await fed.claim(key, 0)).toEqual({ state: 'claimed' });
    await fed.settleClaim(key, { statusCode: '100', type: '2' });
    expect(await fed.claim(key, 0)).toEqual({ state: 'answered', answer: { statusCode: '100', type: '2' } });
    const other = { ...key, messageId: 'k2' };
    expect(await fed.claim(other, 60_000)).toEqual({ state: 'claimed' });
    await fed.settleClaim(other, null);
    expect(await fed.claim(other, 60_000)).toEqual({ state: 'claimed' });
  });

  it('drops the frames named from one destination only, however many ids are given, or all of them', async () => {
    const queued = async (destination: string, n: number) => {
      const ids: number[] = [];
      for (let i = 0; i < n; i++) ids.push(await fed.enqueue(destination, 'nobody', { code: 2001, messageId: `q${i}` }));
      return ids;
    };
    const [mine, theirs] = [await queued('drop-a.invalid', 4), await queued('drop-b.invalid', 2)];
    // More ids than one statement takes (SQLite 32,766 values, PostgreSQL 65,535), most of them of no frame, one of another destination's.
    const named = [...Array.from({ length: 70_000 }, (_, i) => 10_000_000 + i), mine[0]!, mine[2]!, theirs[0]!];
    expect(await fed.dropFromOutbox('drop-a.invalid', named)).toBe(2);
    expect((await fed.pending('drop-a.invalid', 0, 10)).map((e) => e.id)).toEqual([mine[1], mine[3]]);
    expect(await fed.dropFromOutbox('drop-a.invalid', 'all')).toBe(2);
    expect(await fed.dropFromOutbox('drop-a.invalid', [])).toBe(0);
    expect((await fed.pending('drop-b.invalid', 0, 10)).map((e) => e.id)).toEqual(theirs);
    await fed.dropFromOutbox('drop-b.invalid', 'all');
  });

  it('remembers the posts sent to remote groups until they are purged', async () => {
    const [author, group] = [await registerAndLogin(server), await registerAndLogin(server)];
    await fed.notePost(author.auth.id, group.auth.id, 'post-1', 1_000);
    await fed.notePost(author.auth.id, group.auth.id, 'post-1', 2_000); // again: no change
    await fed.notePost(author.auth.id, group.auth.id, 'post-2', 5_000);
    expect(await fed.wasPosted(author.auth.id, group.auth.id, 'post-1')).toBe(true);
    expect(await fed.wasPosted(group.auth.id, author.auth.id, 'post-1')).toBe(false);
    expect(await fed.forgetPostsBefore(3_000)).toBe(1);
    expect(await fed.wasPosted(author.auth.id, group.auth.id, 'post-1')).toBe(false);
    expect(await fed.wasPosted(author.auth.id, group.auth.id, 'post-2')).toBe(true);
    await Promise.all([author.session.close(), group.session.close()]);
  });

  it('accepts a nonce once per origin', async () => {
    const until = Date.now() + 60_000;
    expect(await fed.useNonce('a.example', 'n1', until)).toBe(true);
    expect(await fed.useNonce('a.example', 'n1', until)).toBe(false);
    expect(await fed.useNonce('c.example', 'n1', until)).toBe(true);
  });

  it('leases a destination to one holder until it expires or is released', async () => {
    const now = Date.now();
    expect(await fed.lease('d.example', 'node-1', now + 60_000)).toBe(true);
    expect(await fed.lease('d.example', 'node-2', now + 60_000)).toBe(false);
    expect(await fed.lease('d.example', 'node-1', now + 120_000)).toBe(true);
    await fed.releaseLease('d.example', 'node-1');
    expect(await fed.lease('d.example', 'node-2', now + 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    expect(await fed.lease('d.example', 'node-3', Date.now() + 60_000)).toBe(true);
  });

  it('splits a fan-out to many members of one server into frames of at most 250 members', async () => {
    const owner = await registerAndLogin(server);
    const group = { ...owner.login.profile, id: owner.auth.id, account: owner.account, kind: 2 as const } as never;
    const members = Array.from({ length: 600 }, (_, i) => ({ account: `@m${i}:far.example` }));
    await server.monami.federation!.fanOut(group, members, { code: 2010, messageId: 'post-1', text: 'x' });
    const queued = await fed.pending('far.example', 0, 10);
    expect(queued.map((e) => [e.frame.messageId, (e.frame.members as string[]).length])).toEqual([['post-1.0', 250], ['post-1.1', 250], ['post-1.2', 100]]);
    expect((queued[2]!.frame.members as string[])[99]).toBe('@m599:far.example');
    await owner.session.close();
  });
});
