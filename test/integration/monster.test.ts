import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MinamiSession } from '../../client/minami.js';
import { decodeText, encodeText, MonsterEndpoint } from '../../client/monster.js';
import { availableBackends, createBackend, type Backend } from '../support/backends.js';
import { befriend, registerAndLogin, Socket, startServer, uniqueName, type TestServer, type User } from '../support/server.js';

const backends = await availableBackends();
const b64 = encodeText;
const addr = (u: User | string) => `@${typeof u === 'string' ? u : u.account}:localhost`;
const isPush = (code: string) => (f: Record<string, unknown>) => f.code === code && f.statusCode === '300';

describe.each(backends)('Monster protocol on %s', (backendName) => {
  let backend: Backend;
  let server: TestServer;
  beforeAll(async () => {
    backend = await createBackend(backendName);
    server = await startServer(backend, { MONAMI_ADDRESS_PREFIXES: 'user,api' });
  });
  afterAll(async () => {
    await server?.close();
    await backend?.drop();
  });

  const endpoint = (path: string, token?: string) => MonsterEndpoint.connect(server.url, path, token, Socket);
  const relogin = (u: User, since?: number) => MinamiSession.connect(server.url, { account: u.account, token: u.auth.token }, Socket, since);

  describe('account endpoints and 1000', () => {
    it('answers 1000 anonymously at /<name> and at every configured prefix, code as string or number', async () => {
      const u = await registerAndLogin(server, { name: 'Bob C. Bui' });
      for (const path of [`/${u.account}`, `/user/${u.account}`, `/api/${u.account}`]) {
        const ep = endpoint(path);
        expect(await ep.request({ messageId: '121111', code: '1000' })).toEqual({
          messageId: '121111', code: '1000', statusCode: '100', nickname: 'Bob C. Bui', picurl: '', accountType: '1',
          info: [{ title: 'synopsis', value: '' }], address: addr(u), policy: 'approve',
        });
        expect((await ep.request({ messageId: 'n', code: 1000 })).statusCode).toBe('100');
        await ep.close();
      }
      const http = await fetch(`${server.url}/${u.account}`);
      expect(await http.json()).toMatchObject({ code: '1000', statusCode: '100', nickname: 'Bob C. Bui' });
      expect((await fetch(`${server.url}/nobody-${uniqueName()}`)).status).toBe(404);
      await u.session.close();
    });

    it('answers 1000 on the login socket for any local address form, 404 for unknown, 502 for an unreachable server, 400 for nonsense', async () => {
      const a = await registerAndLogin(server);
      const b = await registerAndLogin(server);
      // Twice: the second time the server knows where each address points without parsing it.
      for (let pass = 0; pass < 2; pass++) {
        for (const to of [addr(b), `@${b.account}:user:localhost`]) {
          expect(await a.session.request({ code: '1000', to })).toMatchObject({ statusCode: '100', address: addr(b) });
        }
        expect(await a.session.request({ code: '1000', to: addr('nobody-here') })).toMatchObject({ statusCode: '404', error: 'no such account' });
        expect(await a.session.request({ code: '1000', to: `@${b.account}:elsewhere:localhost` })).toMatchObject({ statusCode: '404' });
        expect(await a.session.request({ code: '1000', to: `@${b.account}:other.example` })).toMatchObject({ statusCode: '502' });
        expect(await a.session.request({ code: '1000', to: 'bob' })).toMatchObject({ statusCode: '400', error: 'not an address' });
      }
      expect(await a.session.request({ code: '1000' })).toMatchObject({ statusCode: '400', error: 'to missing' });
      await Promise.all([a.session.close(), b.session.close()]);
    });

    it('shows in info only what the owner made public, and the avatar behind picurl', async () => {
      const u = await registerAndLogin(server);
      const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex').toString('base64');
      expect(await u.session.request({ code: '3001', nickname: 'Public Me', sign: 'i am a human', picture: `img/base64:${png}`, public: ['mail', 'synopsis'] })).toMatchObject({ statusCode: '200' });
      const ep = endpoint(`/${u.account}`);
      const info = await ep.request({ code: '1000' });
      expect(info).toMatchObject({ nickname: 'Public Me', info: [{ title: 'mail', value: `${u.account}@example.org` }, { title: 'synopsis', value: 'i am a human' }] });
      const avatar = await fetch(String(info.picurl).replace(/^http:\/\/localhost:\d+/, server.url));
      expect([avatar.status, avatar.headers.get('content-type')]).toEqual([200, 'image/png']);
      expect(await u.session.request({ code: '3001', picture: 'img/base64:bm90IGFuIGltYWdl' })).toMatchObject({ statusCode: '200' });
      expect(await ep.request({ code: '1000' })).toMatchObject({ picurl: '' });
      expect((await fetch(`${server.url}/im/avatar/${u.account}`)).status).toBe(404);
      expect(await u.session.request({ code: '3001', public: ['password'] })).toMatchObject({ statusCode: '400' });
      expect(await u.session.request({ code: '3001', nickname: '' })).toMatchObject({ statusCode: '400' });
      expect(await u.session.request({ code: '3001', sign: 's'.repeat(300) })).toMatchObject({ statusCode: '413' });
      await ep.close();
      await u.session.close();
    });

    it('pushes a changed profile (3001) to every friend at once, under the alias each gave, and to no one else', async () => {
      const [alice, bob, carol] = [await registerAndLogin(server), await registerAndLogin(server), await registerAndLogin(server)];
      await befriend(server, alice, bob); // bob calls alice by her account name
      expect(await alice.session.request({ code: '3001', nickname: 'Alice Liddell', sign: 'down the hole' })).toMatchObject({ statusCode: '200' });
      const toBob = await bob.session.next((f) => f.code === 301);
      expect(toBob.friend).toMatchObject({ id: alice.auth.id, name: alice.account, sign: 'down the hole', online: true });

      expect(await bob.session.request({ code: '3001', nickname: 'Bob the Builder' })).toMatchObject({ statusCode: '200' });
      expect((await alice.session.next((f) => f.code === 301)).friend).toMatchObject({ id: bob.auth.id, name: 'Bob the Builder', online: true });
      // A change no friend list shows (the join policy) is not pushed; a stranger hears nothing.
      expect(await bob.session.request({ code: '3001', policy: 'open' })).toMatchObject({ statusCode: '200' });
      expect(await carol.session.request({ code: '1000', to: `@${bob.account}:localhost` })).toMatchObject({ nickname: 'Bob the Builder' });
      expect(await alice.session.request({ code: '1000', to: `@${bob.account}:localhost` })).toMatchObject({ nickname: 'Bob the Builder' });
      expect(alice.session.pending().filter((f) => f.code === 301)).toEqual([]);
      expect(carol.session.pending().filter((f) => f.code === 301)).toEqual([]);
      expect(bob.session.pending().filter((f) => f.code === 301)).toEqual([]);
      await Promise.all([alice.session.close(), bob.session.close(), carol.session.close()]);
    });

    it('refuses anonymous senders, malformed frames and unknown codes with documented errors, and stays usable', async () => {
      const u = await registerAndLogin(server);
      const ep = endpoint(`/${u.account}`);
      for (const code of ['1001', '1004', '2001', '2004', '3106']) {
        expect(await ep.request({ code, text: b64('x'), recallMessageId: 'm' })).toMatchObject({ statusCode: '401', error: expect.stringContaining('sign in') });
      }
      expect(await ep.request({ code: '9999' })).toMatchObject({ statusCode: '400', error: 'unknown code 9999' });
      expect(await ep.sendRaw(JSON.stringify({ code: '1000' }))).toMatchObject({ messageId: '', statusCode: '400', error: 'messageId missing' });
      expect(await ep.sendRaw(JSON.stringify({ messageId: 'x' }))).toMatchObject({ messageId: 'x', statusCode: '400', error: 'code missing or not a number' });
      expect(await ep.sendRaw(JSON.stringify({ messageId: 'x'.repeat(200), code: '1000' }))).toMatchObject({ statusCode: '413' });
      expect(await ep.sendRaw(JSON.stringify({ messageId: 'y', code: { a: 1 } }))).toMatchObject({ statusCode: '400' });
      expect(await ep.sendRaw('{nope')).toMatchObject({ statusCode: '400', error: 'malformed JSON' });
      expect(await ep.sendRaw('[1]')).toMatchObject({ statusCode: '400', error: 'a frame is a JSON object' });
      expect(await ep.sendRaw(new Uint8Array([1, 2, 3]))).toMatchObject({ statusCode: '400', error: 'frames are JSON text' });
      expect(await ep.request({ code: '1000', to: addr('someone-else') })).toMatchObject({ statusCode: '400' });
      expect(await ep.request({ code: '1000' })).toMatchObject({ statusCode: '100' });
      await ep.close();

      const ghost = endpoint(`/ghost-${uniqueName()}`);
      expect(await ghost.next()).toMatchObject({ statusCode: '404', error: 'no such account' });
      expect((await ghost.closed).code).toBe(4404);
      const forged = endpoint(`/${u.account}`, 'f'.repeat(32));
      expect(await forged.next()).toMatchObject({ statusCode: '401', error: 'invalid token' });
      expect((await forged.closed).code).toBe(1008);
      await u.session.close();
    });
  });

  describe('people: 1001, 1002, 1003, 1004 over the one relation minami also sees', () => {
    it('applies under the default approve policy; 1002 accepts; both minami friend lists show it', async () => {
      const a = await registerAndLogin(server);
      const b = await registerAndLogin(server);
      expect(await a.session.request({ messageId: 'ap1', code: '1001', to: addr(b), note: 'hi' })).toEqual({ messageId: 'ap1', code: '1001', statusCode: '100', type: '2' });
      expect((await b.session.next((f) => f.code === 520)).request).toMatchObject({ id: a.auth.id, account: a.account, note: 'hi' });
      expect(await b.session.request({ code: '1002', to: addr(a) })).toMatchObject({ statusCode: '200' });
      await a.session.next((f) => f.code === 301);
      const again = relogin(a);
      expect((await again.login).friends).toEqual([expect.objectContaining({ id: b.auth.id, name: b.account })]);
      expect(await a.session.request({ code: '1001', to: addr(b) })).toMatchObject({ statusCode: '409', error: 'already friends' });
      expect(await b.session.request({ code: '1002', to: addr(a) })).toMatchObject({ statusCode: '409' });
      expect(await a.session.send(b.auth.id, 'minami works too')).toMatchObject({ code: 200 });
      await Promise.all([a.session.close(), b.session.close(), again.close()]);
    });

    it('1003 refuses a pending application; 1002/1003 with nothing pending is 404', async () => {
      const a = await registerAndLogin(server);
      const b = await registerAndLogin(server);
      expect(await b.session.request({ code: '1003', to: addr(a) })).toMatchObject({ statusCode: '404', error: 'no pending application' });
      await a.session.request({ code: '1001', to: addr(b) });
      expect(await b.session.request({ code: '1003', to: addr(a) })).toMatchObject({ statusCode: '200' });
      expect(await a.session.next((f) => f.code === 1004)).toMatchObject({ from: b.auth.id });
      expect(await b.session.request({ code: '1002', to: addr(a) })).toMatchObject({ statusCode: '404' });
      expect(await a.session.request({ code: '1001', to: addr(a) })).toMatchObject({ statusCode: '400' });
      await Promise.all([a.session.close(), b.session.close()]);
    });

    it('open policy admits at once; pass policy admits with the right pass (type 1) and not with a wrong one (type 3)', async () => {
      const a = await registerAndLogin(server);
      const open = await registerAndLogin(server);
      const locked = await registerAndLogin(server);
      expect(await open.session.request({ code: '3001', policy: 'open' })).toMatchObject({ statusCode: '200' });
      expect(await a.session.request({ code: '1001', to: addr(open) })).toMatchObject({ statusCode: '100', type: '1' });
      expect((await open.session.next((f) => f.code === 301)).friend).toMatchObject({ id: a.auth.id });

      expect(await locked.session.request({ code: '3001', policy: 'pass' })).toMatchObject({ statusCode: '400', error: 'the pass policy needs a pass code' });
      expect(await locked.session.request({ code: '3001', policy: 'pass', pass: '9994454' })).toMatchObject({ statusCode: '200' });
      expect(await a.session.request({ code: '1001', to: addr(locked), pass: 'wrong' })).toMatchObject({ type: '3' });
      expect(await a.session.request({ code: '1001', to: addr(locked) })).toMatchObject({ type: '3' });
      expect(await a.session.request({ code: '1001', to: addr(locked), pass: '9994454' })).toMatchObject({ statusCode: '100', type: '1' });
      expect(await a.session.request({ code: '1001', to: addr(locked), pass: 7 })).toMatchObject({ statusCode: '400', error: 'pass must be a string' });
      await Promise.all([a.session.close(), open.session.close(), locked.session.close()]);
    });

    it('1004 ends the friendship on both sides', async () => {
      const a = await registerAndLogin(server);
      const b = await registerAndLogin(server);
      await befriend(server, a, b);
      expect(await a.session.request({ messageId: 'd1', code: '1004', to: addr(b) })).toEqual({ messageId: 'd1', code: '1004', statusCode: '200' });
      expect(await b.session.next((f) => f.code === 1004)).toMatchObject({ from: a.auth.id });
      expect(await a.session.request({ code: '1004', to: addr(b) })).toMatchObject({ statusCode: '404' });
      expect(await a.session.request({ code: '2001', to: addr(b), text: b64('x') })).toMatchObject({ statusCode: '403', error: 'not friends' });
      await Promise.all([a.session.close(), b.session.close()]);
    });
  });

  describe('stored messages: 2001, history, resume, recall', () => {
    let a: User;
    let b: User;
    beforeAll(async () => {
      a = await registerAndLogin(server);
      b = await registerAndLogin(server);
      await befriend(server, a, b);
    });
    afterAll(async () => {
      await Promise.all([a.session.close(), b.session.close()]);
    });

    it('answers 200 once stored, reaches every device of the recipient and the sender’s other devices once', async () => {
      const b2 = relogin(b);
      const a2 = relogin(a);
      await Promise.all([b2.login, a2.login]);
      const ack = await a.session.request({ messageId: 'hello-1', code: '2001', to: addr(b), text: b64('吃饭了吗？') });
      expect(ack).toEqual({ messageId: 'hello-1', code: '2001', statusCode: '200', id: expect.any(Number), time: expect.any(Number), seq: expect.any(Number) });
      for (const s of [b.session, b2]) {
        const pushed = await s.next(isPush('2001'));
        expect(pushed).toEqual({ code: '2001', statusCode: '300', seq: expect.any(Number), messageId: 'hello-1', id: ack.id, from: addr(a), to: addr(b), text: b64('吃饭了吗？'), time: ack.time });
        expect(decodeText(String(pushed.text))).toBe('吃饭了吗？');
      }
      expect(await a2.next(isPush('2001'))).toMatchObject({ messageId: 'hello-1', seq: ack.seq });
      await new Promise((r) => setTimeout(r, 50));
      expect(a.session.pending().filter(isPush('2001'))).toEqual([]);
      expect([b.session, b2].flatMap((s) => s.pending().filter(isPush('2001')))).toEqual([]);

      // Resending the same messageId (a lost answer) stores nothing new and pushes nothing.
      expect(await a.session.request({ messageId: 'hello-1', code: '2001', to: addr(b), text: b64('吃饭了吗？') })).toMatchObject({ statusCode: '200', id: ack.id });
      expect(await a.session.request({ messageId: 'hello-1', code: '2001', to: addr(b), text: b64('other') })).toMatchObject({ statusCode: '409' });
      await new Promise((r) => setTimeout(r, 50));
      expect(b2.pending().filter(isPush('2001'))).toEqual([]);
      await Promise.all([b2.close(), a2.close()]);
    });

    it('refuses bad text and bad targets', async () => {
      const stranger = await registerAndLogin(server);
      expect(await a.session.request({ code: '2001', to: addr(b), text: 'not base64!' })).toMatchObject({ statusCode: '400', error: 'text must be base64' });
      expect(await a.session.request({ code: '2001', to: addr(b) })).toMatchObject({ statusCode: '400', error: 'text missing' });
      expect(await a.session.request({ code: '2001', to: addr(b), text: 'A'.repeat(70_000) })).toMatchObject({ statusCode: '413' });
      expect(await a.session.request({ code: '2001', to: addr(stranger), text: b64('x') })).toMatchObject({ statusCode: '403' });
      expect(await a.session.request({ code: '2001', to: addr(a), text: b64('x') })).toMatchObject({ statusCode: '400' });
      await stranger.session.close();
    });

    it('delivers what arrived offline at the next login, in order, and resumes after a seq without gaps or duplicates', async () => {
      await b.session.close();
      const texts = ['one', 'two', 'three'];
      for (const t of texts) expect(await a.session.request({ code: '2001', to: addr(b), text: b64(t) })).toMatchObject({ statusCode: '200' });
      b.session = relogin(b);
      await b.session.login;
      const got = [];
      for (let i = 0; i < 3; i++) got.push(await b.session.next(isPush('2001')));
      expect(got.map((f) => decodeText(String(f.text)))).toEqual(texts);
      const seqs = got.map((f) => Number(f.seq));
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      const lastSeen = seqs[2]!;

      // Gone again; more arrives; a reconnect with since=lastSeen gets exactly the new ones.
      await b.session.close();
      for (const t of ['four', 'five']) await a.session.request({ code: '2001', to: addr(b), text: b64(t) });
      b.session = relogin(b, lastSeen);
      await b.session.login;
      const resumed = [await b.session.next(isPush('2001')), await b.session.next(isPush('2001'))];
      expect(resumed.map((f) => decodeText(String(f.text)))).toEqual(['four', 'five']);
      await new Promise((r) => setTimeout(r, 50));
      expect(b.session.pending().filter(isPush('2001'))).toEqual([]);

      // A new device asks for everything from the start; 3003 replays on an open socket.
      const fresh = relogin(b, 0);
      await fresh.login;
      const all = [];
      for (;;) {
        const f = await fresh.next(isPush('2001'));
        all.push(decodeText(String(f.text)));
        if (all.at(-1) === 'five') break;
      }
      expect(all.slice(-5)).toEqual(['one', 'two', 'three', 'four', 'five']);
      const sync = await fresh.request({ code: '3003', since: lastSeen });
      expect(sync).toMatchObject({ statusCode: '200', seq: resumed[1]!.seq });
      await new Promise((r) => setTimeout(r, 50));
      expect(fresh.pending().filter(isPush('2001'))).toEqual([]);
      expect(await fresh.request({ code: '3003' })).toMatchObject({ statusCode: '400', error: 'since missing' });
      expect(await fresh.request({ code: '3003', since: -1 })).toMatchObject({ statusCode: '400' });
      // A since from the future must not make the session skip what is still to come.
      const future = relogin(b, 1_000_000);
      await future.login;
      await a.session.request({ code: '2001', to: addr(b), text: b64('six') });
      expect(decodeText(String((await future.next(isPush('2001'))).text))).toBe('six');
      await future.close();
      await fresh.close();
    });

    it('pages history per conversation, oldest first', async () => {
      const c = await registerAndLogin(server);
      await befriend(server, a, c);
      for (let i = 0; i < 5; i++) await a.session.request({ code: '2001', to: addr(c), text: b64(`m${i}`) });
      await c.session.request({ code: '2001', to: addr(a), text: b64('reply') });
      const last3 = await c.session.request({ messageId: 'h1', code: '3002', to: addr(a), limit: 3 });
      expect(last3).toMatchObject({ messageId: 'h1', statusCode: '100' });
      const page = last3.messages as { id: number; text: string; from: string }[];
      expect(page.map((m) => decodeText(m.text))).toEqual(['m3', 'm4', 'reply']);
      expect(page[2]!.from).toBe(addr(c));
      const earlier = await c.session.request({ code: '3002', to: addr(a), before: page[0]!.id, limit: 100 });
      expect((earlier.messages as { text: string }[]).map((m) => decodeText(m.text))).toEqual(['m0', 'm1', 'm2']);
      expect(await c.session.request({ code: '3002', to: addr(a), limit: 0 })).toMatchObject({ statusCode: '400' });
      expect(await c.session.request({ code: '3002', to: addr(a), before: 'x' })).toMatchObject({ statusCode: '400' });
      await c.session.close();
    });

    it('recalls within the window, telling everyone; refuses others’ messages and unknown ids', async () => {
      const ack = await a.session.request({ messageId: 'oops', code: '2001', to: addr(b), text: b64('oops') });
      await b.session.next((f) => f.messageId === 'oops' && f.code === '2001');
      expect(await b.session.request({ code: '2004', to: addr(a), recallMessageId: 'oops' })).toMatchObject({ statusCode: '403', error: 'only the sender recalls a message' });
      expect(await a.session.request({ code: '2004', to: addr(b), recallMessageId: 'never-sent' })).toMatchObject({ statusCode: '404' });
      expect(await a.session.request({ code: '2004', to: addr(b) })).toMatchObject({ statusCode: '400', error: 'recallMessageId missing' });
      expect(await a.session.request({ messageId: 'r1', code: '2004', to: addr(b), recallMessageId: 'oops' })).toEqual({ messageId: 'r1', code: '2004', statusCode: '200' });
      expect(await b.session.next(isPush('2004'))).toMatchObject({ recallMessageId: 'oops', from: addr(a), to: addr(b), seq: expect.any(Number) });
      const history = await b.session.request({ code: '3002', to: addr(a), limit: 100 });
      expect((history.messages as { id: number }[]).find((m) => m.id === ack.id)).toMatchObject({ text: '', recalled: true });
      expect(await a.session.request({ code: '2004', to: addr(b), recallMessageId: 'oops' })).toMatchObject({ statusCode: '200' });
    });
  });

  describe('groups and channels', () => {
    it('runs a group: create, join by policy, approve, fan out, leave, remove, admins, update, delete', async () => {
      const owner = await registerAndLogin(server);
      const bob = await registerAndLogin(server);
      const carol = await registerAndLogin(server);
      const dave = await registerAndLogin(server);
      const name = uniqueName('grp');
      const group = `@${name}:localhost`;

      expect(await owner.session.request({ code: '3101', name, accountType: '2', nickname: 'Tea Club', policy: 'open' })).toMatchObject({ statusCode: '200', address: group });
      expect(await owner.session.request({ code: '3101', name, accountType: '2' })).toMatchObject({ statusCode: '409' });
      expect(await owner.session.request({ code: '3101', name: bob.account, accountType: '2' })).toMatchObject({ statusCode: '409' });
      expect(await owner.session.request({ code: '3101', name: 'im', accountType: '2' })).toMatchObject({ statusCode: '400' });
      expect(await owner.session.request({ code: '3101', name: uniqueName('x'), accountType: '1' })).toMatchObject({ statusCode: '400' });
      const refused = uniqueName('nopass');
      expect(await owner.session.request({ code: '3101', name: refused, accountType: '2', policy: 'pass' })).toMatchObject({ statusCode: '400' });
      expect(await owner.session.request({ code: '1000', to: `@${refused}:localhost` })).toMatchObject({ statusCode: '404' });
      expect(await endpoint(`/${name}`).request({ code: '1000' })).toMatchObject({ accountType: '2', nickname: 'Tea Club', members: 1 });

      expect(await bob.session.request({ code: '1001', to: group })).toMatchObject({ type: '1' });
      expect(await bob.session.request({ code: '1001', to: group })).toMatchObject({ statusCode: '409' });
      expect(await owner.session.request({ code: '3102', to: group, policy: 'approve' })).toMatchObject({ statusCode: '200' });
      expect(await bob.session.request({ code: '3102', to: group, policy: 'open' })).toMatchObject({ statusCode: '403' });
      expect(await carol.session.request({ code: '1001', to: group, note: 'let me in' })).toMatchObject({ type: '2' });
      expect(await owner.session.next(isPush('1001'))).toMatchObject({ from: addr(carol), to: group, note: 'let me in' });
      expect(await carol.session.request({ code: '2001', to: group, text: b64('early') })).toMatchObject({ statusCode: '403', error: 'not a member' });
      expect(await bob.session.request({ code: '1002', to: group, member: addr(carol) })).toMatchObject({ statusCode: '403' });
      expect(await owner.session.request({ code: '1002', to: group, member: addr(carol) })).toMatchObject({ statusCode: '200' });
      expect(await carol.session.next(isPush('1002'))).toMatchObject({ from: group, type: '1' });
      expect(await dave.session.request({ code: '1001', to: group })).toMatchObject({ type: '2' });
      expect(await owner.session.request({ code: '1003', to: group, member: addr(dave) })).toMatchObject({ statusCode: '200' });
      expect(await dave.session.next(isPush('1003'))).toMatchObject({ from: group });

      // A new name reaches every member's sessions (the owner's own too), not the refused applicant.
      expect(await owner.session.request({ code: '3102', to: group, nickname: 'Tea House' })).toMatchObject({ statusCode: '200' });
      for (const s of [owner.session, bob.session, carol.session]) {
        expect(await s.next(isPush('3102'))).toMatchObject({ from: group, nickname: 'Tea House', accountType: '2' });
      }
      expect(await owner.session.request({ code: '3102', to: group, sign: 'Oolong' })).toMatchObject({ statusCode: '200' });
      expect(await owner.session.request({ code: '3102', to: group, nickname: 'Tea House', policy: 'approve' })).toMatchObject({ statusCode: '200' }); // the same name
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect([owner, bob, carol, dave].flatMap((u) => u.session.pending().filter(isPush('3102')))).toEqual([]);

      const members = await owner.session.request({ code: '3106', to: group });
      expect((members.members as { address: string; role: string }[]).map((m) => [m.address, m.role])).toEqual([[addr(owner), 'owner'], [addr(bob), 'member'], [addr(carol), 'member']]);
      expect(await dave.session.request({ code: '3106', to: group })).toMatchObject({ statusCode: '403' });

      const sent = await bob.session.request({ messageId: 'g1', code: '2001', to: group, text: b64('hello all') });
      expect(sent).toMatchObject({ statusCode: '200' });
      for (const s of [owner.session, carol.session]) {
        expect(await s.next(isPush('2001'))).toMatchObject({ messageId: 'g1', from: addr(bob), to: group, text: b64('hello all') });
      }
      expect(await dave.session.request({ code: '2001', to: group, text: b64('x') })).toMatchObject({ statusCode: '403' });
      expect(await carol.session.request({ code: '3002', to: group })).toMatchObject({ statusCode: '100', messages: [expect.objectContaining({ messageId: 'g1' })] });
      expect(await dave.session.request({ code: '3002', to: group })).toMatchObject({ statusCode: '403' });

      expect(await carol.session.request({ code: '1004', to: group })).toMatchObject({ statusCode: '200' });
      expect(await carol.session.request({ code: '1004', to: group })).toMatchObject({ statusCode: '404' });
      expect(await owner.session.request({ code: '1004', to: group })).toMatchObject({ statusCode: '409' });
      await bob.session.request({ code: '2001', to: group, text: b64('after carol left') });
      await owner.session.next((f) => f.code === '2001' && f.text === b64('after carol left'));
      await new Promise((r) => setTimeout(r, 50));
      expect(carol.session.pending().filter(isPush('2001'))).toEqual([]);

      expect(await bob.session.request({ code: '3104', to: group, member: addr(carol), admin: true })).toMatchObject({ statusCode: '403' });
      expect(await owner.session.request({ code: '3104', to: group, member: addr(carol), admin: true })).toMatchObject({ statusCode: '404' });
      expect(await owner.session.request({ code: '3104', to: group, member: addr(bob), admin: 'yes' })).toMatchObject({ statusCode: '400' });
      expect(await owner.session.request({ code: '3104', to: group, member: addr(bob), admin: true })).toMatchObject({ statusCode: '200' });
      expect(await bob.session.request({ code: '3105', to: group, member: addr(owner) })).toMatchObject({ statusCode: '403' });
      expect(await owner.session.request({ code: '3105', to: group, member: addr(bob) })).toMatchObject({ statusCode: '200' });
      expect(await bob.session.next(isPush('1004'))).toMatchObject({ from: group, member: addr(bob), reason: 'removed' });

      await carol.session.request({ code: '1001', to: group });
      await owner.session.request({ code: '1002', to: group, member: addr(carol) });
      const relogged = relogin(carol);
      expect((await relogged.login).groups).toEqual([{ address: group, name: 'Tea House', accountType: '2', role: 'member' }]);
      expect(await carol.session.request({ code: '3103', to: group })).toMatchObject({ statusCode: '403' });
      expect(await owner.session.request({ code: '3103', to: group })).toMatchObject({ statusCode: '200' });
      expect(await relogged.next(isPush('1004'))).toMatchObject({ from: group, reason: 'deleted' });
      expect(await owner.session.request({ code: '1000', to: group })).toMatchObject({ statusCode: '404' });
      await Promise.all([owner, bob, carol, dave].map((u) => u.session.close()).concat(relogged.close()));
    });

    it('runs a channel: only the owner and admins post, every subscriber receives, pass policy guards joining', async () => {
      const owner = await registerAndLogin(server);
      const sub = await registerAndLogin(server);
      const editor = await registerAndLogin(server);
      const name = uniqueName('news');
      const channel = `@${name}:localhost`;
      expect(await owner.session.request({ code: '3101', name, accountType: 3, policy: 'pass', pass: 'letmein' })).toMatchObject({ statusCode: '200' });
      expect(await endpoint(`/${name}`).request({ code: '1000' })).toMatchObject({ accountType: '3', policy: 'pass' });
      expect(await sub.session.request({ code: '1001', to: channel, pass: 'nope' })).toMatchObject({ type: '3' });
      expect(await sub.session.request({ code: '1001', to: channel, pass: 'letmein' })).toMatchObject({ type: '1' });
      expect(await editor.session.request({ code: '1001', to: channel, pass: 'letmein' })).toMatchObject({ type: '1' });
      expect(await sub.session.request({ code: '2001', to: channel, text: b64('can I?') })).toMatchObject({ statusCode: '403', error: 'only the owner and admins post in a channel' });
      expect(await owner.session.request({ code: '2001', to: channel, text: b64('issue #1') })).toMatchObject({ statusCode: '200' });
      for (const s of [sub.session, editor.session]) expect(await s.next(isPush('2001'))).toMatchObject({ from: addr(owner), to: channel, text: b64('issue #1') });
      await owner.session.request({ code: '3104', to: channel, member: addr(editor), admin: true });
      expect(await editor.session.request({ code: '2001', to: channel, text: b64('issue #2') })).toMatchObject({ statusCode: '200' });
      expect(await sub.session.next(isPush('2001'))).toMatchObject({ from: addr(editor), text: b64('issue #2') });
      await Promise.all([owner, sub, editor].map((u) => u.session.close()));
    });
  });

  describe('calls', () => {
    it('rings every device, the first answer wins, the others are told, ICE flows both ways, hang-up ends it', async () => {
      const a = await registerAndLogin(server);
      const b = await registerAndLogin(server);
      await befriend(server, a, b);
      const bPhone = relogin(b);
      await bPhone.login;
      const offer = b64(JSON.stringify({ type: 'offer', sdp: 'v=0...' }));
      const started = await a.session.request({ messageId: 'call-1', code: '2003', to: addr(b), text: offer });
      expect(started).toMatchObject({ messageId: 'call-1', statusCode: '200', callId: expect.any(String) });
      const callId = started.callId;
      for (const s of [b.session, bPhone]) expect(await s.next(isPush('2003'))).toEqual({ code: '2003', statusCode: '300', callId, from: addr(a), to: addr(b), text: offer });

      expect(await b.session.request({ code: '2005', to: addr(a), callId })).toMatchObject({ statusCode: '200' });
      expect(await a.session.next(isPush('2005'))).toMatchObject({ callId, from: addr(b) });
      const answerSdp = b64(JSON.stringify({ type: 'answer', sdp: 'v=0...' }));
      expect(await bPhone.request({ code: '2006', to: addr(a), callId, text: answerSdp })).toMatchObject({ statusCode: '200' });
      expect(await a.session.next(isPush('2006'))).toMatchObject({ callId, text: answerSdp });
      expect(await b.session.next(isPush('2009'))).toMatchObject({ callId, reason: 'answered-elsewhere' });
      expect(await b.session.request({ code: '2006', to: addr(a), callId, text: answerSdp })).toMatchObject({ statusCode: '403' });

      const candidate = b64('candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host');
      await a.session.request({ code: '2007', to: addr(b), callId, text: candidate });
      expect(await bPhone.next(isPush('2007'))).toMatchObject({ callId, from: addr(a), text: candidate });
      await bPhone.request({ code: '2007', to: addr(a), callId, text: candidate });
      expect(await a.session.next(isPush('2007'))).toMatchObject({ callId, from: addr(b) });

      expect(await a.session.request({ code: '2009', to: addr(b), callId })).toMatchObject({ statusCode: '200' });
      expect(await bPhone.next(isPush('2009'))).toMatchObject({ callId, reason: 'hangup' });
      expect(await a.session.request({ code: '2009', to: addr(b), callId })).toMatchObject({ statusCode: '404' });
      await Promise.all([a.session.close(), b.session.close(), bPhone.close()]);
    });

    it('tells the caller of a rejection, refuses offline and non-friend callees, and ends the call when a side disconnects', async () => {
      const a = await registerAndLogin(server);
      const b = await registerAndLogin(server);
      const stranger = await registerAndLogin(server);
      await befriend(server, a, b);
      const offer = b64('offer');
      expect(await a.session.request({ code: '2002', to: addr(stranger), text: offer })).toMatchObject({ statusCode: '403' });
      expect(await a.session.request({ code: '2002', to: addr(b), text: 'no base64 here' })).toMatchObject({ statusCode: '400' });
      const call = await a.session.request({ code: '2002', to: addr(b), text: offer });
      await b.session.next(isPush('2002'));
      expect(await stranger.session.request({ code: '2006', to: addr(a), callId: call.callId, text: offer })).toMatchObject({ statusCode: '403' });
      expect(await b.session.request({ code: '2008', to: addr(a), callId: call.callId })).toMatchObject({ statusCode: '200' });
      expect(await a.session.next(isPush('2008'))).toMatchObject({ callId: call.callId, from: addr(b) });

      const second = await a.session.request({ code: '2002', to: addr(b), text: offer });
      await b.session.next(isPush('2002'));
      await b.session.request({ code: '2006', to: addr(a), callId: second.callId, text: offer });
      await a.session.close();
      expect(await b.session.next(isPush('2009'))).toMatchObject({ callId: second.callId, reason: 'disconnected' });

      await b.session.close();
      const a2 = relogin(a);
      await a2.login;
      expect(await a2.request({ code: '2003', to: addr(b), text: offer })).toMatchObject({ statusCode: '480', error: 'the callee is offline' });
      expect(await a2.request({ code: '2005', to: addr(b), callId: 'nope' })).toMatchObject({ statusCode: '404' });
      await Promise.all([a2.close(), stranger.session.close()]);
    });
  });

  it('lets a user act through an account endpoint with a token (but not call from there)', async () => {
    const a = await registerAndLogin(server);
    const b = await registerAndLogin(server);
    await befriend(server, a, b);
    const ep = endpoint(`/${b.account}`, a.auth.token);
    expect(await ep.request({ messageId: 'via-endpoint', code: '2001', text: b64('through the door') })).toMatchObject({ statusCode: '200' });
    expect(await b.session.next(isPush('2001'))).toMatchObject({ messageId: 'via-endpoint', from: addr(a), to: addr(b) });
    expect(await a.session.next(isPush('2001'))).toMatchObject({ messageId: 'via-endpoint' });
    expect(await ep.request({ code: '2003', text: b64('offer') })).toMatchObject({ statusCode: '400', error: 'calls are made from the login socket' });
    await ep.close();
    await Promise.all([a.session.close(), b.session.close()]);
  });
});

describe.each(backends)('the recall window on %s', (backendName) => {
  it('refuses a recall once the configured window has passed', async () => {
    const backend = await createBackend(backendName);
    const server = await startServer(backend, { MONAMI_RECALL_WINDOW_SECONDS: '1' });
    const a = await registerAndLogin(server);
    const b = await registerAndLogin(server);
    await befriend(server, a, b);
    await a.session.request({ messageId: 'late', code: '2001', to: addr(b), text: b64('late') });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await a.session.request({ code: '2004', to: addr(b), recallMessageId: 'late' })).toMatchObject({ statusCode: '410', error: 'the recall window has passed' });
    await Promise.all([a.session.close(), b.session.close()]);
    await server.close();
    await backend.drop();
  });
});

describe('a client that floods frames', () => {
  it('is cut off; others are unaffected and everything it was answered is stored', async () => {
    const backend = await createBackend('sqlite');
    // The production hash cost makes a password check take long enough for a burst to land during it.
    const server = await startServer(backend, { MONAMI_MAX_PENDING_FRAMES: '20', MONAMI_SCRYPT_LOG2N: '15' });
    const a = await registerAndLogin(server);
    const b = await registerAndLogin(server);
    await befriend(server, a, b);
    const acked: string[] = [];
    a.session.onFrame((f) => {
      if (f.statusCode === '200' && f.code === '2001') acked.push(String(f.messageId));
    });
    for (let i = 0; i < 500; i++) a.session.socket.send(JSON.stringify({ messageId: `flood-${i}`, code: '2001', to: addr(b), text: b64(`m${i}`) }));
    const closed = await a.session.closed;
    expect([closed.code, closed.reason]).toEqual([1008, 'Too Many Frames']);
    expect(acked.length).toBeLessThan(500);
    const history = await b.session.request({ code: '3002', to: addr(a), limit: 100 });
    const stored = new Set((history.messages as { messageId: string }[]).map((m) => m.messageId));
    for (const id of acked.slice(-100)) expect(stored.has(id)).toBe(true);
    expect(await b.session.request({ code: '1000', to: addr(a) })).toMatchObject({ statusCode: '100' });

    // The bound holds from the first frame, also while a connection is still being authenticated.
    const burst = (socket: WebSocket) =>
      new Promise<{ code: number; reason: string }>((resolve) => {
        socket.on('open', () => {
          for (let i = 0; i < 100; i++) socket.send(JSON.stringify({ messageId: `e${i}`, code: '1000' }));
        });
        socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      });
    const ws = server.url.replace(/^http/, 'ws');
    // A wrong password: without the bound the frames would wait, unbounded, for the refusal.
    expect(await burst(new WebSocket(`${ws}/im/login?account=${b.account}&password=wrong`))).toEqual({ code: 1008, reason: 'Too Many Frames' });
    expect(await burst(new WebSocket(`${ws}/${a.account}?token=${b.auth.token}`))).toEqual({ code: 1008, reason: 'Too Many Frames' });
    expect(await b.session.request({ code: '1000', to: addr(a) })).toMatchObject({ statusCode: '100' });
    await b.session.close();
    await server.close();
    await backend.drop();
  });
});
