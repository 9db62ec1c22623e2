import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MinamiSession } from '../../client/minami.js';
import { decodeText, encodeText } from '../../client/monster.js';
import { availableBackends, createBackend, type Backend } from '../support/backends.js';
import { befriendByMonster, dropPrefix, redisReachable, startNodes, uniquePrefix } from '../support/cluster.js';
import { registerAndLogin, Socket, type TestServer, type User } from '../support/server.js';

const runs = (await availableBackends()).includes('postgres') && (await redisReachable());
const addr = (u: User) => `@${u.account}:localhost`;
const isPush = (code: string) => (f: Record<string, unknown>) => f.code === code && f.statusCode === '300';
const ok = { code: 200, message: 'Success', ok: true };

describe.runIf(runs)('three nodes on one PostgreSQL and one Redis', () => {
  let backend: Backend;
  let nodes: TestServer[];
  const prefix = uniquePrefix();
  beforeAll(async () => {
    backend = await createBackend('postgres');
    nodes = await startNodes(backend, 3, prefix, { MONAMI_LOGIN_FAILURES_PER_ACCOUNT: '3' });
  });
  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.close()));
    await backend?.drop();
    await dropPrefix(prefix);
  });

  it('runs the minami story with the two users on different nodes', async () => {
    const [n1, n2, n3] = nodes as [TestServer, TestServer, TestServer];
    const alice = await registerAndLogin(n1, { name: 'Alice' });
    const bob = await registerAndLogin(n2, { name: 'Bob' });
    expect((await n3.http.found(alice.auth, bob.account)).found?.[0]).toMatchObject({ id: bob.auth.id });
    expect(await n3.http.request(alice.auth, bob.auth.id, 'hi')).toEqual(ok);
    expect(await bob.session.next((f) => f.code === 520)).toMatchObject({ request: { id: alice.auth.id, note: 'hi' } });
    expect(await n1.http.add(bob.auth, alice.auth.id, 'Ally')).toEqual(ok);
    expect((await alice.session.next((f) => f.code === 301)).friend).toMatchObject({ id: bob.auth.id, online: true });
    await bob.session.next((f) => f.code === 301);

    // Presence seen from a third node, and dialogues both ways.
    const alice3 = MinamiSession.connect(n3.url, { account: alice.account, token: alice.auth.token }, Socket);
    expect((await alice3.login).friends).toEqual([expect.objectContaining({ id: bob.auth.id, online: true })]);
    expect(await alice.session.send(bob.auth.id, 'across nodes', 'd1')).toEqual({ ...ok, id: 'd1' });
    expect(await bob.session.next((f) => f.id === 'd1' && 'payload' in f)).toEqual({ id: 'd1', from: alice.auth.id, payload: 'across nodes' });
    expect(await alice3.next((f) => f.id === 'd1')).toMatchObject({ code: 302, to: bob.auth.id });
    expect(await bob.session.send(alice.auth.id, 'back', 'd2')).toEqual({ ...ok, id: 'd2' });
    for (const s of [alice.session, alice3]) expect(await s.next((f) => f.id === 'd2')).toEqual({ id: 'd2', from: bob.auth.id, payload: 'back' });

    // Bob's last session closes on node 2: Alice hears it on nodes 1 and 3, and dialogues get 508.
    await bob.session.close();
    for (const s of [alice.session, alice3]) expect((await s.next((f) => f.code === 300)).friend).toMatchObject({ id: bob.auth.id, online: false });
    expect(await alice.session.send(bob.auth.id, 'hello?', 'd3')).toMatchObject({ code: 508, id: 'd3' });
    expect(await n2.http.remove(alice.auth, bob.auth.id)).toEqual(ok);
    await Promise.all([alice.session.close(), alice3.close()]);
  });

  it('stores Monster messages on one node and delivers them on another, live, offline and after a recall', async () => {
    const [n1, n2, n3] = nodes as [TestServer, TestServer, TestServer];
    const alice = await registerAndLogin(n1);
    const bob = await registerAndLogin(n2);
    await befriendByMonster(alice, bob);

    expect(await alice.session.request({ code: '2001', to: addr(bob), text: encodeText('live'), messageId: 's1' })).toMatchObject({ statusCode: '200' });
    expect(await bob.session.next(isPush('2001'))).toMatchObject({ messageId: 's1', from: addr(alice) });
    await bob.session.close();
    for (let i = 2; i <= 4; i++) expect(await alice.session.request({ code: '2001', to: addr(bob), text: encodeText(`offline ${i}`), messageId: `s${i}` })).toMatchObject({ statusCode: '200' });
    expect(await alice.session.request({ code: '2004', to: addr(bob), recallMessageId: 's3' })).toMatchObject({ statusCode: '200' });

    const back = MinamiSession.connect(n3.url, { account: bob.account, token: bob.auth.token }, Socket);
    await back.login;
    const replayed = [await back.next(isPush('2001')), await back.next(isPush('2001')), await back.next(isPush('2001')), await back.next(isPush('2004'))];
    expect(replayed.map((f) => [f.code, f.messageId])).toEqual([['2001', 's2'], ['2001', 's3'], ['2001', 's4'], ['2004', 's3']]);
    expect(decodeText(String(replayed[2]!.text))).toBe('offline 4');
    await Promise.all([alice.session.close(), back.close()]);
  });

  it('fans a group out to members on all three nodes', async () => {
    const owner = await registerAndLogin(nodes[0]!);
    const members = [await registerAndLogin(nodes[1]!), await registerAndLogin(nodes[2]!)];
    const name = `nodes${Date.now().toString(36)}`;
    const group = `@${name}:localhost`;
    expect(await owner.session.request({ code: '3101', name, accountType: '2', policy: 'open' })).toMatchObject({ statusCode: '200' });
    for (const m of members) expect(await m.session.request({ code: '1001', to: group })).toMatchObject({ type: '1' });
    expect(await members[1]!.session.request({ code: '2001', to: group, text: encodeText('hi all'), messageId: 'g1' })).toMatchObject({ statusCode: '200' });
    // Everyone but the sending session, which had the answer.
    for (const u of [owner, members[0]!]) expect(await u.session.next(isPush('2001'))).toMatchObject({ messageId: 'g1', to: group });
    expect(await members[1]!.session.request({ code: '2004', to: group, recallMessageId: 'g1' })).toMatchObject({ statusCode: '200' });
    for (const u of [owner, members[0]!]) expect(await u.session.next(isPush('2004'))).toMatchObject({ recallMessageId: 'g1' });
    await Promise.all([owner, ...members].map((u) => u.session.close()));
  });

  it('relays call signalling between nodes: ring on two devices, answer on one, ICE, hang-up, disconnect', async () => {
    const [n1, n2, n3] = nodes as [TestServer, TestServer, TestServer];
    const alice = await registerAndLogin(n1);
    const bob = await registerAndLogin(n2);
    await befriendByMonster(alice, bob);
    const bobPhone = MinamiSession.connect(n3.url, { account: bob.account, token: bob.auth.token }, Socket);
    await bobPhone.login;

    const offer = encodeText('offer');
    const { callId } = await alice.session.request({ code: '2003', to: addr(bob), text: offer });
    for (const s of [bob.session, bobPhone]) expect(await s.next(isPush('2003'))).toMatchObject({ callId, from: addr(alice), text: offer });
    expect(await bobPhone.request({ code: '2005', to: addr(alice), callId })).toMatchObject({ statusCode: '200' });
    expect(await alice.session.next(isPush('2005'))).toMatchObject({ callId });
    expect(await bobPhone.request({ code: '2006', to: addr(alice), callId, text: encodeText('answer') })).toMatchObject({ statusCode: '200' });
    expect(await alice.session.next(isPush('2006'))).toMatchObject({ callId, text: encodeText('answer') });
    expect(await bob.session.next(isPush('2009'))).toMatchObject({ callId, reason: 'answered-elsewhere' });
    expect(await bob.session.request({ code: '2006', to: addr(alice), callId, text: encodeText('late') })).toMatchObject({ statusCode: '403' });
    expect(await alice.session.request({ code: '2007', to: addr(bob), callId, text: encodeText('ice-a') })).toMatchObject({ statusCode: '200' });
    expect(await bobPhone.next(isPush('2007'))).toMatchObject({ callId, text: encodeText('ice-a') });
    expect(await bobPhone.request({ code: '2007', to: addr(alice), callId, text: encodeText('ice-b') })).toMatchObject({ statusCode: '200' });
    expect(await alice.session.next(isPush('2007'))).toMatchObject({ callId, text: encodeText('ice-b') });
    expect(await bobPhone.request({ code: '2009', to: addr(alice), callId })).toMatchObject({ statusCode: '200' });
    expect(await alice.session.next(isPush('2009'))).toMatchObject({ callId, reason: 'hangup' });

    // The answering device disconnects from its node: the caller on another node is told.
    const second = await alice.session.request({ code: '2002', to: addr(bob), text: offer });
    await bobPhone.next(isPush('2002'));
    expect(await bobPhone.request({ code: '2006', to: addr(alice), callId: second.callId, text: encodeText('answer') })).toMatchObject({ statusCode: '200' });
    await alice.session.next(isPush('2006'));
    await bobPhone.close();
    expect(await alice.session.next(isPush('2009'))).toMatchObject({ callId: second.callId, reason: 'disconnected' });
    await Promise.all([alice.session.close(), bob.session.close()]);
  });

  it('counts wrong passwords across nodes: guesses spread over three nodes still lock the account out', async () => {
    const user = await registerAndLogin(nodes[0]!);
    const guess = (node: TestServer, password: string) => MinamiSession.connect(node.url, { account: user.account, password }, Socket);
    for (const [i, node] of nodes.entries()) expect((await guess(node, `guess${i}`).login).code).toBe(505);
    // Each node saw one failure; the deployment saw three.
    await expect.poll(async () => (await guess(nodes[1]!, 'one more').login).code).toBe(532);
    expect((await guess(nodes[2]!, user.password).login).code).toBe(532);
    const byToken = MinamiSession.connect(nodes[1]!.url, { account: user.account, token: user.auth.token }, Socket);
    expect((await byToken.login).code).toBe(200);
    await Promise.all([user.session.close(), byToken.close()]);
  });

  it('takes stored messages both ways between two nodes at once: every one acknowledged, delivered once and in order', async () => {
    const alice = await registerAndLogin(nodes[0]!);
    const bob = await registerAndLogin(nodes[1]!);
    await befriendByMonster(alice, bob);
    const got = new Map<User, string[]>([[alice, []], [bob, []]]);
    for (const [u, list] of got) u.session.onFrame((f) => isPush('2001')(f) && list.push(String(f.messageId)));
    const count = 300;
    // Each sends with 20 unanswered at a time: both nodes' group commits number the same two inboxes concurrently.
    const stream = async (from: User, to: User) => {
      const ids = Array.from({ length: count }, (_, i) => `${from.account}-${String(i).padStart(3, '0')}`);
      for (let i = 0; i < ids.length; i += 20) {
        const answers = await Promise.all(ids.slice(i, i + 20).map((messageId) => from.session.request({ code: '2001', to: addr(to), text: encodeText(messageId), messageId })));
        for (const a of answers) expect(a.statusCode).toBe('200');
      }
      return ids;
    };
    const [fromAlice, fromBob] = await Promise.all([stream(alice, bob), stream(bob, alice)]);
    await expect.poll(() => got.get(bob)!.length, { timeout: 15_000 }).toBe(count);
    await expect.poll(() => got.get(alice)!.length, { timeout: 15_000 }).toBe(count);
    expect(got.get(bob)).toEqual(fromAlice);
    expect(got.get(alice)).toEqual(fromBob);
    await Promise.all([alice.session.close(), bob.session.close()]);
  });
});
