import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MinamiSession } from '../../client/minami.js';
import { decodeText, encodeText, MonsterEndpoint } from '../../client/monster.js';
import { remoteAccountId } from '../../src/federation/federation.js';
import { createHandshake, formatHandshake } from '../../src/federation/handshake.js';
import { availableBackends, createBackend, type Backend } from '../support/backends.js';
import { startFederatedServer, type FederatedServer } from '../support/federation.js';
import { registerAndLogin, Socket, type User } from '../support/server.js';

const backends = await availableBackends();
const isPush = (code: string) => (f: Record<string, unknown>) => f.code === code && f.statusCode === '300';

describe.each(backends)('federation between servers on %s', (backendName) => {
  let backendA: Backend;
  let backendB: Backend;
  let a: FederatedServer;
  let b: FederatedServer;
  beforeAll(async () => {
    [backendA, backendB] = await Promise.all([createBackend(backendName), createBackend(backendName)]);
    [a, b] = await Promise.all([startFederatedServer(backendA), startFederatedServer(backendB)]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([backendA?.drop(), backendB?.drop()]);
  });

  const at = (server: FederatedServer, u: User) => `@${u.account}:${server.domain}`;

  /** alice on A applies to bob on B (approve policy), bob accepts: friends on both servers. */
  async function remoteFriends(users?: [User, User]): Promise<[User, User]> {
    const [alice, bob] = users ?? [await registerAndLogin(a), await registerAndLogin(b)];
    const applied = await alice.session.request({ code: '1001', to: at(b, bob), note: 'hi from A' });
    expect(applied).toMatchObject({ code: '1001', statusCode: '100', type: '2' });
    const request = await bob.session.next((f) => f.code === 520);
    expect(request).toMatchObject({ request: { account: at(a, alice), address: at(a, alice), note: 'hi from A' } });
    expect(await bob.session.request({ code: '1002', to: at(a, alice) })).toMatchObject({ statusCode: '200' });
    const befriended = await alice.session.next((f) => f.code === 301);
    expect(befriended).toMatchObject({ friend: { address: at(b, bob) } });
    return [alice, bob];
  }

  /** A raw federation link from A to B, signed with A's key, collecting B's answers. */
  async function linkAsA() {
    const identity = a.monami.federation!.identity;
    const ws = new WebSocket(`ws://${b.domain}/.well-known/monami/federation`, {
      headers: { authorization: formatHandshake(createHandshake(a.domain, b.domain, identity.keyId, (t) => identity.sign(t))) },
    });
    await new Promise((resolve) => ws.once('open', resolve));
    const answers: Record<string, unknown>[] = [];
    ws.on('message', (d) => answers.push(JSON.parse(String(d))));
    return { ws, answers };
  }

  it('publishes its key at the well-known URL', async () => {
    const doc = await (await fetch(`${a.url}/.well-known/monami/server`)).json();
    expect(doc).toMatchObject({ server: a.domain, keys: [{ id: expect.stringMatching(/^ed25519:/), publicKey: expect.any(String) }] });
    expect(Buffer.from(doc.keys[0].publicKey, 'base64')).toHaveLength(32);
  });

  it('answers 1000 for a remote address with the remote account\'s info', async () => {
    const alice = await registerAndLogin(a);
    const bob = await registerAndLogin(b, { name: 'Bob of B' });
    const info = await alice.session.request({ code: '1000', to: at(b, bob), messageId: 'info-1' });
    expect(info).toMatchObject({ messageId: 'info-1', code: '1000', statusCode: '100', nickname: 'Bob of B', address: at(b, bob) });
    expect(await alice.session.request({ code: '1000', to: `@nobody-here:${b.domain}` })).toMatchObject({ statusCode: '404' });
    await Promise.all([alice.session.close(), bob.session.close()]);
  });

  it('befriends across servers (1001, 1002), lists remote friends in minami, carries 2001 both ways, recalls and unfriends', async () => {
    const [alice, bob] = await remoteFriends();
    // Remote friends in the minami friend list, with their address.
    const relogin = await a.http.found(alice.auth, bob.account);
    expect(relogin.code).toBe(200);

    const sent = await alice.session.request({ code: '2001', to: at(b, bob), text: encodeText('hello B'), messageId: 'm-a1' });
    expect(sent).toMatchObject({ messageId: 'm-a1', statusCode: '200' });
    const got = await bob.session.next(isPush('2001'));
    expect(got).toMatchObject({ from: at(a, alice), to: at(b, bob), messageId: 'm-a1' });
    expect(decodeText(String(got.text))).toBe('hello B');

    expect(await bob.session.request({ code: '2001', to: at(a, alice), text: encodeText('hello A') })).toMatchObject({ statusCode: '200' });
    const back = await alice.session.next((f) => isPush('2001')(f) && f.from === at(b, bob));
    expect(decodeText(String(back.text))).toBe('hello A');

    expect(await alice.session.request({ code: '2004', to: at(b, bob), recallMessageId: 'm-a1' })).toMatchObject({ statusCode: '200' });
    expect(await bob.session.next(isPush('2004'))).toMatchObject({ recallMessageId: 'm-a1', from: at(a, alice) });

    expect(await alice.session.request({ code: '1004', to: at(b, bob) })).toMatchObject({ statusCode: '200' });
    await bob.session.next((f) => f.code === 1004);
    expect(await bob.session.request({ code: '2001', to: at(a, alice), text: encodeText('still there?') })).toMatchObject({ statusCode: '403' });
    await Promise.all([alice.session.close(), bob.session.close()]);
  });

  it('renames a remote friend here when their server sends their new name, and tells the local friends', async () => {
    const [alice, bob] = await remoteFriends();
    // Bob's group, which alice joins; bob also has its endpoint open, from before the rename.
    const name = `den${Date.now().toString(36)}`;
    const group = `@${name}:${b.domain}`;
    expect(await bob.session.request({ code: '3101', name, accountType: '2', nickname: 'Den', policy: 'open' })).toMatchObject({ statusCode: '200' });
    expect(await alice.session.request({ code: '1001', to: group })).toMatchObject({ statusCode: '100', type: '1' });
    const endpoint = MonsterEndpoint.connect(b.url, `/${name}`, bob.auth.token, Socket);
    expect(await endpoint.request({ code: '3106' })).toMatchObject({ code: '3106', members: expect.any(Array) }); // open and signed in

    expect(await bob.session.request({ code: '3001', nickname: 'Bobby Tables' })).toMatchObject({ statusCode: '200' });
    expect(await bob.session.request({ code: '2001', to: at(a, alice), text: encodeText('new name') })).toMatchObject({ statusCode: '200' });
    const renamed = await alice.session.next((f) => f.code === 301);
    expect(renamed.friend).toMatchObject({ id: remoteAccountId(at(b, bob)), name: 'Bobby Tables', address: at(b, bob) });
    await alice.session.next((f) => isPush('2001')(f) && f.from === at(b, bob));
    // Kept: a new session's friend list has it.
    const again = MinamiSession.connect(a.url, { account: alice.account, token: alice.auth.token }, Socket);
    expect((await again.login).friends).toEqual([expect.objectContaining({ address: at(b, bob), name: 'Bobby Tables' })]);
    // A frame with the name unchanged, or none, renames nothing.
    expect(await bob.session.request({ code: '2001', to: at(a, alice), text: encodeText('same name') })).toMatchObject({ statusCode: '200' });
    await alice.session.next((f) => isPush('2001')(f) && f.from === at(b, bob));
    // Nor does a post through the endpoint opened before: it carries the new name as well.
    expect(await endpoint.request({ code: '2001', text: encodeText('from the endpoint'), messageId: 'via-endpoint' })).toMatchObject({ statusCode: '200' });
    await alice.session.next((f) => isPush('2001')(f) && f.messageId === 'via-endpoint');
    expect(alice.session.pending().filter((f) => f.code === 301)).toEqual([]);
    await Promise.all([alice.session.close(), bob.session.close(), again.close(), endpoint.close()]);
  });

  it('tells the servers that keep an account of its new name at once, with no other frame: a person\'s friends and groups, a group\'s members', async () => {
    const [alice, bob] = await remoteFriends();
    const carol = await registerAndLogin(b);
    const name = `porch${Date.now().toString(36)}`;
    const group = `@${name}:${a.domain}`;
    expect(await alice.session.request({ code: '3101', name, accountType: '2', nickname: 'Porch', policy: 'open' })).toMatchObject({ statusCode: '200' });
    expect(await carol.session.request({ code: '1001', to: group })).toMatchObject({ statusCode: '100', type: '1' });

    // A friend on the other server hears of it (and the name is kept there), with nothing else sent.
    expect(await bob.session.request({ code: '3001', nickname: 'Robert' })).toMatchObject({ statusCode: '200' });
    const renamed = await alice.session.next((f) => f.code === 301);
    expect(renamed.friend).toMatchObject({ id: remoteAccountId(at(b, bob)), name: 'Robert', address: at(b, bob) });
    expect((await a.monami.store.accountById(remoteAccountId(at(b, bob))))?.name).toBe('Robert');

    // A member of a group there, with no friend there: the group's member list has the new name.
    expect(await carol.session.request({ code: '3001', nickname: 'Caroline' })).toMatchObject({ statusCode: '200' });
    await expect.poll(async () => (await a.monami.store.accountById(remoteAccountId(at(b, carol))))?.name).toBe('Caroline');
    const members = await alice.session.request({ code: '3106', to: group });
    expect(members.members).toContainEqual(expect.objectContaining({ address: at(b, carol), nickname: 'Caroline' }));

    // Another field, or the same name again, sends nothing (the other server keeps only the
    // name): of those and a message after them, which travels behind anything queued before,
    // only the message goes.
    const deliveredToA = async () => {
      const text = await (await fetch(`${b.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`monami_federation_delivered_total{destination="${a.domain}"}`));
      return Number(line?.split(' ')[1] ?? 0);
    };
    const before = await deliveredToA();
    expect(await bob.session.request({ code: '3001', sign: 'out fishing' })).toMatchObject({ statusCode: '200' });
    expect(await bob.session.request({ code: '3001', nickname: 'Robert', sign: 'gone fishing' })).toMatchObject({ statusCode: '200' }); // the same name
    expect(await bob.session.request({ code: '2001', to: at(a, alice), text: encodeText('gone fishing'), messageId: 'after-sign' })).toMatchObject({ statusCode: '200' });
    await alice.session.next((f) => isPush('2001')(f) && f.messageId === 'after-sign');
    await expect.poll(deliveredToA).toBe(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await deliveredToA()).toBe(before + 1);
    // Clients cannot send one: it is spoken between servers only.
    expect(await bob.session.request({ code: '3005', to: at(a, alice), messageId: 'fake-notice' })).toMatchObject({ statusCode: '400', error: 'unknown code 3005' });

    // A group renamed: the servers of its members hear of it too.
    expect(await alice.session.request({ code: '3102', to: group, nickname: 'Veranda' })).toMatchObject({ statusCode: '200' });
    await expect.poll(async () => (await b.monami.store.accountById(remoteAccountId(group)))?.name).toBe('Veranda');
    // ...and its members there see it at once, as its members here do.
    expect(await carol.session.next(isPush('3102'))).toMatchObject({ from: group, nickname: 'Veranda', accountType: '2' });
    expect(await alice.session.next(isPush('3102'))).toMatchObject({ from: group, nickname: 'Veranda' });

    // Nor do the accounts renamed hear of the notices sent for them.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([...alice.session.pending(), ...bob.session.pending(), ...carol.session.pending()].filter((f) => String(f.code) === '3005')).toEqual([]);
    await Promise.all([alice.session.close(), bob.session.close(), carol.session.close()]);
  });

  it('joins a remote group with its pass, posts to it, gets its posts and recalls, and leaves', async () => {
    const bob = await registerAndLogin(b);
    const alice = await registerAndLogin(a);
    const name = `club${Date.now().toString(36)}`;
    const group = `@${name}:${b.domain}`;
    expect(await bob.session.request({ code: '3101', name, accountType: '2', nickname: 'Club', policy: 'pass', pass: 'sesame' })).toMatchObject({ statusCode: '200', address: group });

    expect(await alice.session.request({ code: '1000', to: group })).toMatchObject({ statusCode: '100', accountType: '2', nickname: 'Club', policy: 'pass' });
    expect(await alice.session.request({ code: '1001', to: group, pass: 'wrong' })).toMatchObject({ statusCode: '100', type: '3' });
    expect(await alice.session.request({ code: '1001', to: group, pass: 'sesame' })).toMatchObject({ statusCode: '100', type: '1' });
    const members = await bob.session.request({ code: '3106', to: group });
    expect((members.members as { address: string }[]).map((m) => m.address).sort()).toEqual([at(a, alice), at(b, bob)].sort());

    const posted = await alice.session.request({ code: '2001', to: group, text: encodeText('hello club'), messageId: 'g-1' });
    expect(posted).toMatchObject({ messageId: 'g-1', code: '2001', statusCode: '200' });
    const atBob = await bob.session.next(isPush('2001'));
    expect(atBob).toMatchObject({ from: at(a, alice), to: group, messageId: 'g-1' });
    // The group fans the post back out to its members on A, the author's own sessions included.
    const atAlice = await alice.session.next(isPush('2001'));
    expect(atAlice).toMatchObject({ from: at(a, alice), to: group, messageId: 'g-1' });
    expect(decodeText(String(atAlice.text))).toBe('hello club');

    expect(await bob.session.request({ code: '2001', to: group, text: encodeText('welcome'), messageId: 'g-2' })).toMatchObject({ statusCode: '200' });
    expect(await alice.session.next((f) => isPush('2001')(f) && f.messageId === 'g-2')).toMatchObject({ from: at(b, bob), to: group });
    const history = await alice.session.request({ code: '3002', to: group });
    expect((history.messages as { messageId: string }[]).map((m) => m.messageId)).toEqual(['g-1', 'g-2']);

    expect(await alice.session.request({ code: '2004', to: group, recallMessageId: 'g-1' })).toMatchObject({ statusCode: '200' });
    expect(await bob.session.next(isPush('2004'))).toMatchObject({ recallMessageId: 'g-1' });
    expect(await alice.session.next(isPush('2004'))).toMatchObject({ recallMessageId: 'g-1', to: group });

    expect(await alice.session.request({ code: '1004', to: group })).toMatchObject({ statusCode: '200' });
    await expect.poll(async () => ((await bob.session.request({ code: '3106', to: group })).members as unknown[]).length).toBe(1);
    expect(await alice.session.request({ code: '2001', to: group, text: encodeText('let me back'), messageId: 'g-3' })).toMatchObject({ statusCode: '403' });
    await Promise.all([alice.session.close(), bob.session.close()]);
  });

  it('refuses a forged origin, a replayed or expired handshake, one for another server, and a from of another domain', async () => {
    const open = (header: string) =>
      new Promise<{ status: number; body: string } | WebSocket>((resolve) => {
        const ws = new WebSocket(`ws://${b.domain}/.well-known/monami/federation`, { headers: { authorization: header } });
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
      });
    const identity = a.monami.federation!.identity;
    const signAsA = (text: string) => identity.sign(text);

    // A genuine handshake opens a link; sent again, it is refused.
    const genuine = formatHandshake(createHandshake(a.domain, b.domain, identity.keyId, signAsA));
    const link = await open(genuine);
    expect(link).toBeInstanceOf(WebSocket);
    expect(await open(genuine)).toMatchObject({ status: 401, body: expect.stringContaining('handshake replayed') });

    // Claiming to be A, signed with another key.
    const { privateKey } = generateKeyPairSync('ed25519');
    const forged = formatHandshake(createHandshake(a.domain, b.domain, identity.keyId, (text) => sign(null, Buffer.from(text), privateKey).toString('base64url')));
    expect(await open(forged)).toMatchObject({ status: 401, body: expect.stringContaining('bad signature') });
    // Made for another server, or too old.
    expect(await open(formatHandshake(createHandshake(a.domain, 'c.example', identity.keyId, signAsA)))).toMatchObject({ status: 401, body: expect.stringContaining('another server') });
    expect(await open(formatHandshake(createHandshake(a.domain, b.domain, identity.keyId, signAsA, Date.now() - 10 * 60_000)))).toMatchObject({ status: 401, body: expect.stringContaining('expired') });
    expect(await open('Bearer nonsense')).toMatchObject({ status: 401, body: expect.stringContaining('malformed') });

    // On an authenticated link, a frame whose from belongs to another server is refused.
    const bob = await registerAndLogin(b);
    const ws = link as WebSocket;
    const answer = new Promise<Record<string, unknown>>((resolve) => ws.once('message', (d) => resolve(JSON.parse(String(d)))));
    ws.send(JSON.stringify({ id: 1, frame: { code: 1001, messageId: 'spoof', from: `@mallory:${b.domain}`, to: at(b, bob), note: 'hi' } }));
    expect(await answer).toMatchObject({ id: 1, answer: { statusCode: '403', error: 'from does not belong to the sending server' } });
    ws.close();
    await bob.session.close();
  });

  it('refuses addresses that resolve to loopback unless configured to allow them', async () => {
    const guarded = await startFederatedServer(backendA, { MONAMI_FEDERATION_ALLOW_PRIVATE: 'false' });
    try {
      const carol = await registerAndLogin(guarded);
      const bob = await registerAndLogin(b);
      for (const to of [`@${bob.account}:localhost:${b.port}`, `@${bob.account}:127.0.0.1:${b.port}`, `@${bob.account}:[::1]:${b.port}`]) {
        expect(await carol.session.request({ code: '1000', to })).toMatchObject({ statusCode: '403', error: expect.stringContaining('loopback') });
      }
      expect(await carol.session.request({ code: '1001', to: `@x:10.1.2.3:${b.port}` })).toMatchObject({ statusCode: '403', error: expect.stringContaining('private') });
      expect(await carol.session.request({ code: '1000', to: `@x:169.254.169.254` })).toMatchObject({ statusCode: '403', error: expect.stringContaining('linkLocal') });
      // Nor does it accept links from such servers: it will not fetch their keys.
      const identity = a.monami.federation!.identity;
      const header = formatHandshake(createHandshake(a.domain, guarded.domain, identity.keyId, (t) => identity.sign(t)));
      const refused = await fetch(`${guarded.url}/.well-known/monami/federation`, { headers: { authorization: header } });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ reason: 'origin keys unavailable' });
      await Promise.all([carol.session.close(), bob.session.close()]);
    } finally {
      await guarded.close();
    }
  });

  it('relays a call across servers: ring, answer, ICE both ways, hang-up; offline callee and rejection reported', async () => {
    const [alice, bob] = await remoteFriends();
    const offer = encodeText('v=0 offer');
    const started = await alice.session.request({ code: '2003', to: at(b, bob), text: offer, messageId: 'call-x' });
    expect(started).toMatchObject({ messageId: 'call-x', statusCode: '200', callId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const callId = started.callId;
    expect(await bob.session.next(isPush('2003'))).toEqual({ code: '2003', statusCode: '300', callId, from: at(a, alice), to: at(b, bob), text: offer });
    expect(await bob.session.request({ code: '2005', to: at(a, alice), callId })).toMatchObject({ statusCode: '200' });
    expect(await alice.session.next(isPush('2005'))).toMatchObject({ callId, from: at(b, bob) });
    const answerSdp = encodeText('v=0 answer');
    expect(await bob.session.request({ code: '2006', to: at(a, alice), callId, text: answerSdp })).toMatchObject({ statusCode: '200' });
    expect(await alice.session.next(isPush('2006'))).toMatchObject({ callId, text: answerSdp, from: at(b, bob) });
    const candidate = encodeText('candidate:1 1 udp 1 127.0.0.1 9 typ host');
    expect(await alice.session.request({ code: '2007', to: at(b, bob), callId, text: candidate })).toMatchObject({ statusCode: '200' });
    expect(await bob.session.next(isPush('2007'))).toMatchObject({ callId, from: at(a, alice), text: candidate });
    expect(await bob.session.request({ code: '2007', to: at(a, alice), callId, text: candidate })).toMatchObject({ statusCode: '200' });
    expect(await alice.session.next(isPush('2007'))).toMatchObject({ callId, from: at(b, bob), text: candidate });
    expect(await bob.session.request({ code: '2009', to: at(a, alice), callId })).toMatchObject({ statusCode: '200' });
    expect(await alice.session.next(isPush('2009'))).toMatchObject({ callId, reason: 'hangup' });

    // Rejected by the callee.
    const second = await alice.session.request({ code: '2002', to: at(b, bob), text: offer });
    await bob.session.next(isPush('2002'));
    expect(await bob.session.request({ code: '2008', to: at(a, alice), callId: second.callId })).toMatchObject({ statusCode: '200' });
    expect(await alice.session.next(isPush('2008'))).toMatchObject({ callId: second.callId });

    // The callee has no session: 480 from their server.
    await bob.session.close();
    expect(await alice.session.request({ code: '2002', to: at(b, bob), text: offer })).toMatchObject({ statusCode: '480' });
    await alice.session.close();
  });

  it('applies a block given with `monami federation` to a running server, both ways, until it is lifted', async () => {
    const alice = await registerAndLogin(a);
    const bob = await registerAndLogin(b);
    const name = `held${Date.now().toString(36)}`;
    const group = `@${name}:${a.domain}`;
    expect(await alice.session.request({ code: '3101', name, accountType: '2', policy: 'open' })).toMatchObject({ statusCode: '200' });
    expect(await bob.session.request({ code: '1001', to: group })).toMatchObject({ type: '1' });
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'federation', ...args, '--data-dir', backendA.dataDir, ...(backendA.databaseUrl ? ['--database-url', backendA.databaseUrl] : [])], { cwd: path.resolve(import.meta.dirname, '..', '..') });
    expect((await cli('block', b.domain)).stdout).toContain(`${b.domain}: block`);
    expect((await cli('list')).stdout).toMatch(new RegExp(`${b.domain.replace(/\./g, '\\.')}\\s+block`));
    await expect.poll(async () => (await alice.session.request({ code: '1000', to: at(b, bob) })).statusCode, { timeout: 10_000, interval: 250 }).toBe('403');
    // B's links to A are refused too: its user hears the server could not be reached.
    expect(await bob.session.request({ code: '1000', to: at(a, alice) })).toMatchObject({ statusCode: '502' });
    // What is queued for a blocked server (a post to a group it has members in) waits, and
    // goes once the block is lifted.
    expect(await alice.session.request({ code: '2001', to: group, text: encodeText('held'), messageId: 'held-1' })).toMatchObject({ statusCode: '200' });
    await expect(bob.session.next((f) => f.messageId === 'held-1', 500)).rejects.toThrow('timed out');
    expect((await a.monami.store.federation().outboxDepths()).get(b.domain)).toBe(1);
    await cli('forget', b.domain);
    await expect.poll(async () => (await alice.session.request({ code: '1000', to: at(b, bob) })).statusCode, { timeout: 10_000, interval: 250 }).toBe('100');
    a.monami.federation!.outbox.wake(b.domain, true);
    expect(await bob.session.next((f) => f.messageId === 'held-1', 8_000)).toMatchObject({ from: at(a, alice), to: group });
    await Promise.all([alice.session.close(), bob.session.close()]);
  }, 30_000);

  it('answers a frame it has seen before with the same answer and acts on it once', async () => {
    const bob = await registerAndLogin(b);
    const { ws, answers } = await linkAsA();
    const frame = { code: 1001, messageId: 'dup-1', from: `@zed:${a.domain}`, fromType: '1', fromName: 'Zed', to: at(b, bob), note: 'once' };
    ws.send(JSON.stringify({ id: 1, frame }));
    ws.send(JSON.stringify({ id: 2, frame }));
    await expect.poll(() => answers.length).toBe(2);
    expect(answers[0]).toEqual({ id: 1, answer: { messageId: 'dup-1', code: '1001', statusCode: '100', type: '2' } });
    expect(answers[1]).toEqual({ id: 2, answer: answers[0]!.answer });
    // One request reached bob, and his pending list holds it once.
    await bob.session.next((f) => f.code === 520);
    await expect(bob.session.next((f) => f.code === 520, 300)).rejects.toThrow('timed out');
    // The same messageId to someone else is another frame.
    const carol = await registerAndLogin(b);
    ws.send(JSON.stringify({ id: 3, frame: { ...frame, to: at(b, carol) } }));
    await expect.poll(() => answers.length).toBe(3);
    expect(answers[2]).toEqual({ id: 3, answer: { messageId: 'dup-1', code: '1001', statusCode: '100', type: '2' } });
    await carol.session.next((f) => f.code === 520);
    await carol.session.close();
    ws.close();
    await bob.session.close();
  });

  it('lets minami clients accept, list and remove remote friends by their derived id', async () => {
    const alice = await registerAndLogin(a);
    const bob = await registerAndLogin(b);
    expect(await alice.session.request({ code: '1001', to: at(b, bob), note: 'minami?' })).toMatchObject({ type: '2' });
    const pushed = await bob.session.next((f) => f.code === 520);
    const request = pushed.request as { id: string; address: string };
    expect(request).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{32}$/), address: at(a, alice) });
    // Accepted with the seed's add?from=<id>&name=<alias>.
    expect((await b.http.add(bob.auth, request.id, 'Ally')).code).toBe(200);
    await alice.session.next((f) => f.code === 301);

    // Both friend lists, at the next login, show the other with their address.
    const again = MinamiSession.connect(b.url, { account: bob.account, token: bob.auth.token }, Socket);
    const login = await again.login;
    expect(login.friends).toEqual([expect.objectContaining({ id: request.id, name: 'Ally', address: at(a, alice) })]);
    await again.close();

    // Live minami dialogues both ways, by the ids each side knows the other by.
    const bobOnA = remoteAccountId(at(b, bob));
    expect(await alice.session.send(bobOnA, 'live hello', 'd-1')).toMatchObject({ id: 'd-1', code: 200 });
    expect(await bob.session.next((f) => f.id === 'd-1' && f.payload !== undefined)).toEqual({ id: 'd-1', from: request.id, payload: 'live hello' });
    expect(await bob.session.send(request.id, 'live reply', 'd-2')).toMatchObject({ code: 200 });
    expect(await alice.session.next((f) => f.id === 'd-2' && f.payload !== undefined)).toEqual({ id: 'd-2', from: bobOnA, payload: 'live reply' });

    expect((await b.http.remove(bob.auth, request.id)).code).toBe(200);
    await alice.session.next((f) => f.code === 1004);
    expect(await alice.session.send(bobOnA, 'gone?')).toMatchObject({ code: 512 });
    expect(await alice.session.request({ code: '2001', to: at(b, bob), text: encodeText('hello?') })).toMatchObject({ statusCode: '403' });
    await Promise.all([alice.session.close(), bob.session.close()]);
  });

  it('fans a group out across three servers, and lets only its owner post in a remote channel', async () => {
    const backendC = await createBackend(backendName);
    const c = await startFederatedServer(backendC);
    try {
      const bob = await registerAndLogin(b);
      const alice = await registerAndLogin(a);
      const carol = await registerAndLogin(c);
      const name = `trio${Date.now().toString(36)}`;
      const group = `@${name}:${b.domain}`;
      expect(await bob.session.request({ code: '3101', name, accountType: '2', policy: 'open' })).toMatchObject({ statusCode: '200' });
      for (const u of [alice, carol]) expect(await u.session.request({ code: '1001', to: group })).toMatchObject({ type: '1' });

      expect(await carol.session.request({ code: '2001', to: group, text: encodeText('from C'), messageId: 't-1' })).toMatchObject({ statusCode: '200' });
      for (const u of [alice, bob, carol]) {
        expect(await u.session.next((f) => isPush('2001')(f) && f.messageId === 't-1')).toMatchObject({ from: `@${carol.account}:${c.domain}`, to: group });
      }

      const channelName = `news${Date.now().toString(36)}`;
      const channel = `@${channelName}:${b.domain}`;
      expect(await bob.session.request({ code: '3101', name: channelName, accountType: '3', policy: 'open' })).toMatchObject({ statusCode: '200' });
      expect(await carol.session.request({ code: '1001', to: channel })).toMatchObject({ type: '1' });
      expect(await carol.session.request({ code: '2001', to: channel, text: encodeText('may I?') })).toMatchObject({ statusCode: '403' });
      expect(await bob.session.request({ code: '2001', to: channel, text: encodeText('news'), messageId: 'n-1' })).toMatchObject({ statusCode: '200' });
      expect(await carol.session.next((f) => isPush('2001')(f) && f.messageId === 'n-1')).toMatchObject({ from: at(b, bob), to: channel });

      // The owner deletes the group: members on every server are told.
      expect(await bob.session.request({ code: '3103', to: group })).toMatchObject({ statusCode: '200' });
      for (const u of [alice, carol]) expect(await u.session.next((f) => f.code === '1004' && f.from === group)).toMatchObject({ reason: 'deleted' });
      await Promise.all([alice.session.close(), bob.session.close(), carol.session.close()]);
    } finally {
      await c.close();
      await backendC.drop();
    }
  });

  it('does not let a server enrol local users in its group or post to them through one they never joined', async () => {
    const bob = await registerAndLogin(b);
    const { ws, answers } = await linkAsA();
    const spam = { from: `@spam:${a.domain}`, fromType: '2', fromName: 'Spam' };
    ws.send(JSON.stringify({ id: 1, frame: { ...spam, code: 1002, messageId: 'enrol', to: at(b, bob) } }));
    ws.send(JSON.stringify({ id: 2, frame: { ...spam, code: 2010, messageId: 'post', author: `@spammer:${a.domain}`, clientMessageId: 'p1', text: encodeText('buy now'), time: Date.now(), members: [at(b, bob)] } }));
    await expect.poll(() => answers.length).toBe(2);
    expect(answers[0]).toMatchObject({ id: 1, answer: { statusCode: '404', error: 'no pending application' } });
    await expect(bob.session.next((f) => f.code === '2001' || f.code === '1002', 500)).rejects.toThrow('timed out');
    ws.close();
    await bob.session.close();
  });

  it('answers a profile notice 200, from a person or a group, having renamed its stand-in', async () => {
    const bob = await registerAndLogin(b);
    const { ws, answers } = await linkAsA();
    const person = `@yan${Date.now().toString(36)}:${a.domain}`;
    const group = `@yard${Date.now().toString(36)}:${a.domain}`;
    const notice = (n: number, from: string, fromType: string, fromName: string) =>
      ws.send(JSON.stringify({ id: n, frame: { code: 3005, messageId: `pn${n}`, from, fromType, fromName, to: at(b, bob) } }));
    notice(1, person, '1', 'Yan');
    notice(2, group, '2', 'Yard');
    await expect.poll(() => answers.length).toBe(2);
    notice(3, person, '1', 'Yan Two');
    notice(4, group, '2', 'Yard Two');
    await expect.poll(() => answers.length).toBe(4);
    expect(answers.map((x) => (x.answer as Record<string, unknown>).statusCode)).toEqual(['200', '200', '200', '200']);
    expect((await b.monami.store.accountById(remoteAccountId(person)))?.name).toBe('Yan Two');
    expect((await b.monami.store.accountById(remoteAccountId(group)))?.name).toBe('Yard Two');
    ws.close();
    await bob.session.close();
  });

  it('renames a stand-in only on the word of its own server, not of a group passing on a post', async () => {
    const bob = await registerAndLogin(b);
    const { ws, answers } = await linkAsA();
    const group = { from: `@relay${Date.now().toString(36)}:${a.domain}`, fromType: '2', fromName: 'Relay' };
    const post = (n: number, author: string, authorName: string) =>
      ws.send(JSON.stringify({ id: n, frame: { ...group, code: 2010, messageId: `p${n}`, author, authorType: '1', authorName, clientMessageId: `c${n}`, text: encodeText('hi'), time: Date.now(), members: [at(b, bob)] } }));
    const third = '@dora:c.example';
    const own = `@zed:${a.domain}`;
    post(1, third, 'Dora');
    post(2, own, 'Zed');
    await expect.poll(() => answers.length).toBe(2);
    post(3, third, 'Not Dora');
    post(4, own, 'Zed Two');
    await expect.poll(() => answers.length).toBe(4);
    expect((await b.monami.store.accountById(remoteAccountId(third)))?.name).toBe('Dora');
    expect((await b.monami.store.accountById(remoteAccountId(own)))?.name).toBe('Zed Two');
    ws.close();
    await bob.session.close();
  });

  it('takes a remote group\'s post in the name of a local person only if that person sent it', async () => {
    const [alice, bob, carol] = [await registerAndLogin(a), await registerAndLogin(b), await registerAndLogin(b)];
    const name = `hall${Date.now().toString(36)}`;
    const group = `@${name}:${a.domain}`;
    expect(await alice.session.request({ code: '3101', name, accountType: '2', nickname: 'Hall', policy: 'open' })).toMatchObject({ statusCode: '200' });
    for (const u of [bob, carol]) expect(await u.session.request({ code: '1001', to: group })).toMatchObject({ statusCode: '100', type: '1' });

    // Carol's own post comes back from the group to everyone here, as it should.
    expect(await carol.session.request({ code: '2001', to: group, text: encodeText('real'), messageId: 'c-1' })).toMatchObject({ statusCode: '200' });
    expect(await bob.session.next((f) => isPush('2001')(f) && f.messageId === 'c-1')).toMatchObject({ from: at(b, carol), to: group });

    // The group's server claims another post of hers: refused, and no one here sees it.
    const { ws, answers } = await linkAsA();
    ws.send(JSON.stringify({ id: 1, frame: {
      from: group, fromType: '2', fromName: 'Hall', code: 2010, messageId: 'forged', author: at(b, carol), authorType: '1', authorName: 'Carol',
      clientMessageId: 'c-forged', text: encodeText('i never said this'), time: Date.now(), members: [at(b, bob), at(b, carol)],
    } }));
    await expect.poll(() => answers.length).toBe(1);
    expect(answers[0]).toMatchObject({ id: 1, answer: { statusCode: '403', error: 'the author did not send this post' } });
    await expect(bob.session.next((f) => isPush('2001')(f) && f.messageId === 'c-forged', 500)).rejects.toThrow('timed out');
    const history = await bob.session.request({ code: '3002', to: group });
    expect((history.messages as { messageId: string }[]).map((m) => m.messageId)).toEqual(['c-1']);
    ws.close();
    await Promise.all([alice.session.close(), bob.session.close(), carol.session.close()]);
  });

  it('answers hostile frames on a link with errors, keeps the link, and closes it only for what is not an envelope', async () => {
    const bob = await registerAndLogin(b);
    const { ws, answers } = await linkAsA();
    const from = { from: `@eve:${a.domain}`, fromType: '1', fromName: 'Eve' };
    const frames = [
      { code: 1001, messageId: 'h1', to: at(b, bob) }, // no from
      { ...from, code: 'x', messageId: 'h2', to: at(b, bob) },
      { ...from, code: 3001, messageId: 'h3', to: at(b, bob), nickname: 'pwned' },
      { ...from, code: 2001, messageId: 'h4', to: at(b, bob), text: 'not base64!' },
      { ...from, code: 2001, messageId: 'h5', to: `@${bob.account}:elsewhere.example`, text: encodeText('hi') },
      { ...from, code: 2006, messageId: 'h6', to: at(b, bob), callId: 'nonsense' },
      { ...from, code: 2012, messageId: 'h7', to: at(b, bob), payload: 'x'.repeat(100_000) },
      { from: `@evil-group:${a.domain}`, fromType: '2', code: 2010, messageId: 'h8', members: [42, null, { a: 1 }], author: 7, text: 'x' },
      { ...from, code: 1001, messageId: 'x'.repeat(5000), to: at(b, bob), note: 'n'.repeat(100_000) },
      { from: `@evil-group:${a.domain}`, fromType: '2', code: 2010, messageId: 'h10', members: Array(5000).fill(at(b, bob)), author: `@eve:${a.domain}`, clientMessageId: 'c', text: 'x' },
    ];
    frames.forEach((frame, i) => ws.send(JSON.stringify({ id: i + 1, frame })));
    await expect.poll(() => answers.length).toBe(frames.length);
    const statuses = answers.map((e) => (e.answer as Record<string, unknown>).statusCode);
    expect(statuses).toEqual(['400', '400', '400', '400', '404', '404', '400', '400', '413', '413']);
    // The link still works, and so does bob.
    ws.send(JSON.stringify({ id: 99, frame: { code: 1000, messageId: 'ok', to: at(b, bob) } }));
    await expect.poll(() => answers.length).toBe(frames.length + 1);
    expect(answers.at(-1)).toMatchObject({ id: 99, answer: { statusCode: '100' } });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('not json');
    expect(await closed).toBe(1007);
    expect(await bob.session.request({ code: '1000', to: at(b, bob) })).toMatchObject({ statusCode: '100' });
    await bob.session.close();
  });
});
