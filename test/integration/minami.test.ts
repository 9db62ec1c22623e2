import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MinamiSession } from '../../client/minami.js';
import { MonsterEndpoint } from '../../client/monster.js';
import { availableBackends, createBackend, type Backend } from '../support/backends.js';
import { befriend, registerAndLogin, Socket, startServer, uniqueName, type TestServer, type User } from '../support/server.js';

const backends = await availableBackends();

const ok = { code: 200, message: 'Success', ok: true };
const err = (code: number, message: string) => ({ code, message, ok: false });

describe.each(backends)('minami protocol on %s', (backendName) => {
  let backend: Backend;
  let server: TestServer;

  beforeAll(async () => {
    backend = await createBackend(backendName);
    server = await startServer(backend);
  });
  afterAll(async () => {
    await server?.close();
    await backend?.drop();
  });

  const login = (credentials: { account: string; password: string } | { account: string; token: string }, path = '/im/login') => {
    const base = server.url.replace(/^http/, 'ws');
    return new MinamiSession(new Socket(`${base}${path}?${new URLSearchParams(credentials)}`));
  };

  describe('register', () => {
    it('accepts a JSON body and a form-encoded body', async () => {
      expect(await server.http.register({ account: uniqueName(), password: 'p', mail: 'm@x' })).toEqual(ok);
      expect(await server.http.register({ account: uniqueName(), password: 'p', mail: 'm@x', name: '小明' }, 'form')).toEqual(ok);
    });

    it('names each missing required field', async () => {
      expect(await server.http.register({ account: '', password: 'p', mail: 'm' })).toEqual(err(501, 'Account Info Empty'));
      expect(await server.http.register({ account: uniqueName(), password: '', mail: 'm' })).toEqual(err(502, 'Password Info Empty'));
      expect(await server.http.register({ account: uniqueName(), password: 'p', mail: '' })).toEqual(err(503, 'Secure Mail Info Empty'));
      expect(await server.http.register({} as never, 'form')).toEqual(err(501, 'Account Info Empty'));
    });

    it('refuses a taken account, whatever its case', async () => {
      const account = uniqueName();
      expect(await server.http.register({ account, password: 'p', mail: 'm' })).toEqual(ok);
      expect(await server.http.register({ account, password: 'q', mail: 'm' })).toEqual(err(504, 'Account Already Exists'));
      expect(await server.http.register({ account: account.toUpperCase(), password: 'q', mail: 'm' })).toEqual(err(504, 'Account Already Exists'));
    });

    it('refuses names that cannot be addresses or are the server’s own paths', async () => {
      for (const account of ['im', 'metrics', 'a b', '../etc', "x'; drop table accounts;--", '-lead', 'x'.repeat(33), 'ünï']) {
        expect(await server.http.register({ account, password: 'p', mail: 'm' })).toEqual(err(530, 'Account Name Invalid'));
      }
    });

    it('refuses oversized fields and bodies, wrong types and malformed JSON with 403', async () => {
      expect(await server.http.register({ account: uniqueName(), password: 'p', mail: 'm', sign: 's'.repeat(257) })).toEqual(err(531, 'Field Too Long'));
      const post = (body: string, type = 'application/json') =>
        fetch(`${server.url}/im/register`, { method: 'POST', headers: { 'content-type': type }, body });
      const wrongType = await post(JSON.stringify({ account: uniqueName(), password: 123456, mail: 'm' }));
      expect([wrongType.status, await wrongType.json()]).toEqual([200, err(403, 'Protocol Error')]);
      const malformed = await post('{"account":');
      expect([malformed.status, await malformed.json()]).toEqual([400, err(403, 'Protocol Error')]);
      const array = await post('[1,2]');
      expect(await array.json()).toEqual(err(403, 'Protocol Error'));
      const huge = await post(JSON.stringify({ account: uniqueName(), password: 'p', mail: 'm', picture: 'x'.repeat(700 * 1024) }));
      expect([huge.status, await huge.json()]).toEqual([413, err(403, 'Protocol Error')]);
      const xml = await post('<a/>', 'application/xml');
      expect([xml.status, await xml.json()]).toEqual([415, err(403, 'Protocol Error')]);
    });

    it('stores hostile-looking text verbatim', async () => {
      const name = `Robert'); DROP TABLE accounts;-- <b>${uniqueName()}</b>`;
      const me = await registerAndLogin(server);
      const other = await registerAndLogin(server, { name });
      expect(other.login.profile.name).toBe(name);
      const found = await server.http.found(me.auth, name);
      expect(found.found).toEqual([expect.objectContaining({ id: other.auth.id, name })]);
      await me.session.close();
      await other.session.close();
    });
  });

  describe('login', () => {
    it('sends the snapshot as the first frame, with null for empty lists', async () => {
      const user = await registerAndLogin(server, { name: 'Minami' });
      expect(Object.keys(user.login)).toEqual(['code', 'friends', 'groups', 'message', 'ok', 'profile', 'requests', 'token']);
      expect(user.login).toMatchObject({ code: 200, message: 'Success', ok: true, friends: null, groups: null, requests: null });
      expect(user.login.token).toMatch(/^[0-9a-f]{32}$/);
      expect(user.login.profile).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{32}$/), name: 'Minami', picture: '', sex: '', birthday: '', sign: '',
        account: user.account, address: `@${user.account}:localhost`,
      });
      await user.session.close();
    });

    it('works on the seed’s doubled path, and with a token instead of the password', async () => {
      const user = await registerAndLogin(server);
      const doubled = login({ account: user.account, password: user.password }, '/im/login/im/login');
      const first = await doubled.login;
      expect(first.code).toBe(200);
      expect(first.profile.id).toBe(user.auth.id);
      expect(first.token).not.toBe(user.auth.token);
      const byToken = login({ account: user.account, token: user.auth.token });
      expect(await byToken.login).toMatchObject({ code: 200, token: user.auth.token, profile: { id: user.auth.id } });
      await Promise.all([user.session.close(), doubled.close(), byToken.close()]);
    });

    it('answers 505 and closes for any wrong credential', async () => {
      const user = await registerAndLogin(server);
      const other = await registerAndLogin(server);
      const attempts = [
        { account: user.account, password: 'wrong' },
        { account: uniqueName('nobody'), password: 'x' },
        { account: user.account, password: '' },
        { account: user.account, token: other.auth.token },
        { account: user.account, token: 'f'.repeat(32) },
        { account: user.account, token: "' or 1=1 --" },
      ];
      for (const credentials of attempts) {
        const session = login(credentials as never);
        expect(await session.login).toEqual(err(505, 'Account & Password Wrong'));
        expect((await session.closed).code).toBe(1008);
      }
      const repeated = new MinamiSession(new Socket(`${server.url.replace(/^http/, 'ws')}/im/login?account=${user.account}&password=a&password=b`));
      expect(await repeated.login).toEqual(err(505, 'Account & Password Wrong'));
      await Promise.all([user.session.close(), other.session.close()]);
    });

    it('revokes a token on logout, leaving the user’s other tokens alone', async () => {
      const user = await registerAndLogin(server);
      const other = login({ account: user.account, password: user.password });
      const otherToken = (await other.login).token;
      expect(await server.http.logout(user.auth)).toEqual(ok);
      expect(await server.http.found(user.auth, 'x')).toEqual(err(515, 'Auth Illegal'));
      expect((await login({ account: user.account, token: user.auth.token }).login).code).toBe(505);
      expect((await server.http.found({ id: user.auth.id, token: otherToken }, 'x')).code).toBe(200);
      await Promise.all([user.session.close(), other.close()]);
    });

    it('answers a plain HTTP request to the login path with 403', async () => {
      const res = await fetch(`${server.url}/im/login?account=a&password=b`);
      expect(await res.json()).toEqual(err(403, 'Protocol Error'));
    });
  });

  describe('friends over HTTP', () => {
    it('authenticates every call by id and token', async () => {
      const a = await registerAndLogin(server);
      const b = await registerAndLogin(server);
      expect(await server.http.get('/im/friends/found', { token: a.auth.token, name: 'x' })).toEqual(err(517, 'Account ID Empty'));
      expect(await server.http.get('/im/friends/found', { id: a.auth.id, name: 'x' })).toEqual(err(514, 'Auth Info Empty'));
      expect(await server.http.found({ id: a.auth.id, token: b.auth.token }, 'x')).toEqual(err(515, 'Auth Illegal'));
      expect(await server.http.found({ id: a.auth.id, token: 'not-a-token' }, 'x')).toEqual(err(515, 'Auth Illegal'));
      for (const path of ['/im/friends/request', '/im/friends/add', '/im/friends/remove']) {
        expect(await server.http.get(path, { id: b.auth.id, token: a.auth.token, to: a.auth.id, from: a.auth.id, name: 'n' })).toEqual(err(515, 'Auth Illegal'));
      }
      const repeated = await fetch(`${server.url}/im/friends/found?id=${a.auth.id}&id=${a.auth.id}&token=${a.auth.token}&name=x`);
      expect(await repeated.json()).toEqual(err(403, 'Protocol Error'));
      await Promise.all([a.session.close(), b.session.close()]);
    });

    it('does not run a state-changing GET for a HEAD request', async () => {
      const a = await registerAndLogin(server);
      const b = await registerAndLogin(server);
      await befriend(server, a, b);
      const head = await fetch(`${server.url}/im/friends/remove?${new URLSearchParams({ ...a.auth, to: b.auth.id })}`, { method: 'HEAD' });
      expect(head.status).toBe(404);
      expect(await a.session.send(b.auth.id, 'still friends', 'h1')).toEqual({ ...ok, id: 'h1' });
      await Promise.all([a.session.close(), b.session.close()]);
    });

    it('finds people by account or name, never oneself, null when nobody matches', async () => {
      const tag = uniqueName('tag');
      const a = await registerAndLogin(server, { name: `Alice ${tag}` });
      const b = await registerAndLogin(server, { name: `Bob ${tag}` });
      const found = await server.http.found(a.auth, tag.toUpperCase());
      expect(Object.keys(found)).toEqual(['code', 'found', 'message', 'ok']);
      expect(found.found).toEqual([{ id: b.auth.id, name: `Bob ${tag}`, picture: '', sex: '', birthday: '', sign: '', account: b.account }]);
      expect((await server.http.found(a.auth, b.account)).found?.[0]?.id).toBe(b.auth.id);
      expect(await server.http.found(a.auth, 'zz-no-such-person-%')).toEqual({ code: 200, found: null, message: 'Success', ok: true });
      expect((await server.http.found(a.auth, '%')).code).toBe(200);
      expect(await server.http.found(a.auth, '')).toEqual(err(516, 'Name Empty'));
      await Promise.all([a.session.close(), b.session.close()]);
    });

    it('refuses requests to nobody, to oneself, to strangers that do not exist, and between friends', async () => {
      const a = await registerAndLogin(server);
      const b = await registerAndLogin(server);
      expect(await server.http.request(a.auth, '')).toEqual(err(519, 'Friend Info Empty'));
      expect(await server.http.request(a.auth, 'f'.repeat(32))).toEqual(err(523, 'Friend Not Exists'));
      expect(await server.http.request(a.auth, "1' OR '1'='1")).toEqual(err(523, 'Friend Not Exists'));
      expect(await server.http.request(a.auth, a.auth.id)).toEqual(err(533, 'Cannot Befriend Yourself'));
      expect(await server.http.request(a.auth, b.auth.id, 'n'.repeat(257))).toEqual(err(531, 'Field Too Long'));
      await befriend(server, a, b);
      expect(await server.http.request(a.auth, b.auth.id)).toEqual(err(522, 'Already Be Friend'));
      expect(await server.http.add(b.auth, a.auth.id, 'x')).toEqual(err(522, 'Already Be Friend'));
      expect(await server.http.add(a.auth, '', 'x')).toEqual(err(519, 'Friend Info Empty'));
      expect(await server.http.add(a.auth, b.auth.id, '')).toEqual(err(521, 'Alias Empty'));
      expect(await server.http.add(a.auth, 'f'.repeat(32), 'x')).toEqual(err(523, 'Friend Not Exists'));
      expect(await server.http.remove(a.auth, '')).toEqual(err(519, 'Friend Info Empty'));
      await Promise.all([a.session.close(), b.session.close()]);
    });

    it('turns add without a pending request into a request that keeps the alias', async () => {
      const a = await registerAndLogin(server);
      const b = await registerAndLogin(server, { name: 'Bee' });
      expect(await server.http.add(a.auth, b.auth.id, 'my bee')).toEqual(ok);
      const pushed = await b.session.next((f) => f.code === 520);
      expect(pushed).toEqual({ code: 520, message: 'Apply For a Friend', ok: true, request: { id: a.auth.id, account: a.account, name: a.account, to: b.auth.id, note: '' } });
      expect(await server.http.add(b.auth, a.auth.id, 'my a')).toEqual(ok);
      const toA = await a.session.next((f) => f.code === 301);
      expect(toA.friend).toEqual({ id: b.auth.id, account: b.account, name: 'my bee', picture: '', sex: '', birthday: '', sign: '', online: true });
      const toB = await b.session.next((f) => f.code === 301);
      expect(toB.friend).toMatchObject({ id: a.auth.id, name: 'my a', online: true });
      await Promise.all([a.session.close(), b.session.close()]);
    });

    it('makes friends at once when both ask each other', async () => {
      const a = await registerAndLogin(server);
      const b = await registerAndLogin(server);
      expect(await server.http.request(a.auth, b.auth.id, 'hello')).toEqual(ok);
      expect(await server.http.request(b.auth, a.auth.id, 'hello too')).toEqual(ok);
      expect((await a.session.next((f) => f.code === 301)).friend).toMatchObject({ id: b.auth.id, online: true });
      await a.session.close();
      const again = login({ account: a.account, password: a.password });
      expect((await again.login).friends).toEqual([expect.objectContaining({ id: b.auth.id, name: b.account, online: true })]);
      await Promise.all([again.close(), b.session.close()]);
    });

    it('lets the requested decline and the requester withdraw, telling the other side', async () => {
      const a = await registerAndLogin(server);
      const b = await registerAndLogin(server);
      await server.http.request(a.auth, b.auth.id, 'please');
      await b.session.next((f) => f.code === 520);
      expect(await server.http.remove(b.auth, a.auth.id)).toEqual(ok);
      expect(await a.session.next((f) => f.code === 1004)).toEqual({ code: 1004, message: 'Relation Deleted', ok: true, from: b.auth.id });
      expect(await server.http.remove(b.auth, a.auth.id)).toEqual(err(512, 'Not Relation of Friend'));
      await server.http.request(a.auth, b.auth.id, 'again');
      await b.session.next((f) => f.code === 520);
      expect(await server.http.remove(a.auth, b.auth.id)).toEqual(ok);
      expect(await b.session.next((f) => f.code === 1004)).toMatchObject({ from: a.auth.id });
      const relogin = login({ account: b.account, password: b.password });
      expect((await relogin.login).requests).toBeNull();
      await Promise.all([a.session.close(), b.session.close(), relogin.close()]);
    });
  });

  it('tells the whole story: register → login → found → request → push → add → lists → dialogue → offline → remove', async () => {
    const alice = await registerAndLogin(server, { name: 'Alice' });
    const bob = await registerAndLogin(server, { name: 'Bob' });

    expect((await server.http.found(alice.auth, bob.account)).found?.[0]).toMatchObject({ id: bob.auth.id, name: 'Bob' });
    expect(await server.http.request(alice.auth, bob.auth.id, '女票')).toEqual(ok);
    expect(await bob.session.next((f) => f.code === 520)).toEqual({
      code: 520, message: 'Apply For a Friend', ok: true, request: { id: alice.auth.id, account: alice.account, name: 'Alice', to: bob.auth.id, note: '女票' },
    });
    const bobPhone = login({ account: bob.account, password: bob.password });
    expect((await bobPhone.login).requests).toEqual([{ id: alice.auth.id, account: alice.account, name: 'Alice', to: bob.auth.id, note: '女票' }]);

    expect(await server.http.add(bob.auth, alice.auth.id, '新朋友')).toEqual(ok);
    await alice.session.next((f) => f.code === 301);
    await bob.session.next((f) => f.code === 301);
    await bobPhone.next((f) => f.code === 301);

    const alice2 = login({ account: alice.account, password: alice.password });
    expect((await alice2.login).friends).toEqual([{ id: bob.auth.id, account: bob.account, name: 'Bob', picture: '', sex: '', birthday: '', sign: '', online: true }]);
    const bob2 = login({ account: bob.account, token: bob.auth.token });
    expect((await bob2.login).friends).toEqual([expect.objectContaining({ id: alice.auth.id, name: '新朋友', online: true })]);
    expect((await bob2.login).requests).toBeNull();

    // Alice → Bob reaches all three of Bob's sessions, and Alice's other session gets a copy.
    expect(await alice.session.send(bob.auth.id, '吃饭了吗？', 'm1')).toEqual({ ...ok, id: 'm1' });
    for (const s of [bob.session, bobPhone, bob2]) {
      const got = await s.next((f) => f.id === 'm1');
      expect(Object.keys(got)).toEqual(['id', 'from', 'payload']);
      expect(got).toEqual({ id: 'm1', from: alice.auth.id, payload: '吃饭了吗？' });
    }
    expect(await alice2.next((f) => f.id === 'm1')).toEqual({ code: 302, message: 'Dialogue Sent', ok: true, id: 'm1', to: bob.auth.id, payload: '吃饭了吗？' });
    expect(await bob.session.send(alice.auth.id, 'yes', 'm2')).toEqual({ ...ok, id: 'm2' });
    expect(await alice.session.next((f) => f.id === 'm2')).toEqual({ id: 'm2', from: bob.auth.id, payload: 'yes' });

    // Bob's last session closing is pushed to Alice as 300; then a dialogue gets 508.
    await Promise.all([bob.session.close(), bobPhone.close()]);
    expect(alice.session.pending().some((f) => f.code === 300)).toBe(false);
    await bob2.close();
    expect(await alice.session.next((f) => f.code === 300)).toEqual({
      code: 300, message: 'Friend Offline', ok: true,
      friend: { id: bob.auth.id, account: bob.account, name: 'Bob', picture: '', sex: '', birthday: '', sign: '', online: false },
    });
    expect(await alice.session.send(bob.auth.id, 'hello?', 'm3')).toEqual({ ...err(508, 'Friend Is Offline'), id: 'm3' });

    const bob3 = login({ account: bob.account, password: bob.password });
    await bob3.login;
    expect((await alice.session.next((f) => f.code === 301)).friend).toMatchObject({ id: bob.auth.id, online: true });
    expect(await server.http.remove(alice.auth, bob.auth.id)).toEqual(ok);
    expect(await bob3.next((f) => f.code === 1004)).toEqual({ code: 1004, message: 'Relation Deleted', ok: true, from: alice.auth.id });
    expect(await alice.session.send(bob.auth.id, 'still there?', 'm4')).toEqual({ ...err(512, 'Not Relation of Friend'), id: 'm4' });
    expect(await bob3.send(alice.auth.id, 'and you?', 'm5')).toEqual({ ...err(512, 'Not Relation of Friend'), id: 'm5' });
    expect(await server.http.remove(alice.auth, bob.auth.id)).toEqual(err(512, 'Not Relation of Friend'));
    await Promise.all([alice.session.close(), alice2.close(), bob3.close()]);
  });

  describe('the dialogue tunnel under bad input', () => {
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

    const raw = (frame: string | Buffer) => {
      a.session.socket.send(frame);
      return a.session.next((f) => typeof f.code === 'number' && f.code !== 301 && f.code !== 300);
    };

    it('answers each malformed frame with its code and keeps the socket usable', async () => {
      expect(await raw(JSON.stringify({ toFriend: b.auth.id, payload: 'x' }))).toEqual(err(506, 'Dialogue ID Empty'));
      expect(await raw(JSON.stringify({ id: 'e1', payload: 'x' }))).toEqual({ ...err(510, 'Friend ID Empty'), id: 'e1' });
      expect(await raw(JSON.stringify({ id: 'e2', toFriend: b.auth.id }))).toEqual({ ...err(511, 'Payload Empty'), id: 'e2' });
      expect(await raw(JSON.stringify({ id: 'e3', toFriend: b.auth.id, payload: '' }))).toEqual({ ...err(511, 'Payload Empty'), id: 'e3' });
      expect(await raw(JSON.stringify({ id: 'e4', toFriend: 'f'.repeat(32), payload: 'x' }))).toEqual({ ...err(512, 'Not Relation of Friend'), id: 'e4' });
      expect(await raw(JSON.stringify({ id: 'e5', toFriend: b.auth.id, payload: { html: 1 } }))).toEqual({ ...err(509, 'Payload Must Be Text'), id: 'e5' });
      expect(await raw(JSON.stringify({ id: 'e6', toFriend: ['x'], payload: 'x' }))).toEqual({ ...err(403, 'Protocol Error'), id: 'e6' });
      expect(await raw(JSON.stringify({ id: { x: 1 }, toFriend: b.auth.id, payload: 'x' }))).toEqual(err(403, 'Protocol Error'));
      expect(await raw(JSON.stringify({ id: 'e7', toFriend: b.auth.id, payload: 'x'.repeat(40_000) }))).toEqual({ ...err(531, 'Field Too Long'), id: 'e7' });
      expect(await raw('{"id":')).toEqual(err(403, 'Protocol Error'));
      expect(await raw('[]')).toEqual(err(403, 'Protocol Error'));
      expect(await raw('null')).toEqual(err(403, 'Protocol Error'));
      expect(await raw(Buffer.from([0, 1, 2, 3]))).toEqual(err(509, 'Payload Must Be Text'));
      expect(await a.session.send(b.auth.id, 'still fine', 7 as never)).toEqual({ ...ok, id: 7 });
      expect(await b.session.next((f) => f.id === '7')).toEqual({ id: '7', from: a.auth.id, payload: 'still fine' });
      expect(b.session.pending()).toEqual([]);
    });

    it('closes a socket that sends a frame over the size limit, and nobody else notices', async () => {
      const c = await registerAndLogin(server);
      c.session.socket.send('x'.repeat(300 * 1024));
      expect((await c.session.closed).code).toBe(1009);
      expect(await a.session.send(b.auth.id, 'after the flood', 'e8')).toEqual({ ...ok, id: 'e8' });
    });
  });

  it('keeps accounts, friendships and tokens across a restart', async () => {
    const a = await registerAndLogin(server, { name: 'Before' });
    const b = await registerAndLogin(server);
    await befriend(server, a, b);
    await server.http.request(a.auth, (await registerAndLogin(server)).auth.id, 'pending');
    await server.close();
    server = await startServer(backend);

    const again = login({ account: a.account, password: a.password });
    const first = await again.login;
    expect(first.profile).toMatchObject({ id: a.auth.id, name: 'Before' });
    expect(first.friends).toEqual([expect.objectContaining({ id: b.auth.id, online: false })]);
    expect(await server.http.found(a.auth, b.account)).toMatchObject({ code: 200 });
    const byToken = login({ account: b.account, token: b.auth.token });
    expect((await byToken.login).code).toBe(200);
    expect(await again.send(b.auth.id, 'after restart', 'r1')).toEqual({ ...ok, id: 'r1' });
    await Promise.all([again.close(), byToken.close()]);
  });
});

describe.each(backends)('limits on %s', (backendName) => {
  let backend: Backend;
  let server: TestServer;
  beforeAll(async () => {
    backend = await createBackend(backendName);
    server = await startServer(backend, { MONAMI_MAX_SESSIONS_PER_USER: '2', MONAMI_LOGIN_FAILURES_PER_ACCOUNT: '3' });
  });
  afterAll(async () => {
    await server?.close();
    await backend?.drop();
  });

  const connect = (credentials: Record<string, string>) =>
    new MinamiSession(new Socket(`${server.url.replace(/^http/, 'ws')}/im/login?${new URLSearchParams(credentials)}`));

  it('evicts the oldest session beyond the per-user limit with 513', async () => {
    const user = await registerAndLogin(server);
    const second = connect({ account: user.account, password: user.password });
    await second.login;
    const third = connect({ account: user.account, password: user.password });
    await third.login;
    expect(await user.session.next((f) => f.code === 513)).toEqual(err(513, 'Login In Other Place'));
    expect((await user.session.closed).code).toBe(4513);
    expect(second.pending()).toEqual([]);
    await Promise.all([second.close(), third.close()]);
  });

  it('stops password guessing on an account, even with the right password, without locking out its tokens', async () => {
    const user = await registerAndLogin(server);
    for (let i = 0; i < 3; i++) expect((await connect({ account: user.account, password: `guess${i}` }).login).code).toBe(505);
    const blocked = connect({ account: user.account, password: user.password });
    expect(await blocked.login).toEqual(err(532, 'Too Many Attempts'));
    expect((await blocked.closed).code).toBe(1008);
    const byToken = connect({ account: user.account, token: user.auth.token });
    expect((await byToken.login).code).toBe(200);
    const other = await registerAndLogin(server);
    expect(other.login.code).toBe(200);
    await Promise.all([user.session.close(), byToken.close(), other.session.close()]);
  });
});

describe.each(backends)('login limits per client address on %s', (backendName) => {
  let backend: Backend;
  let server: TestServer;
  beforeAll(async () => {
    backend = await createBackend(backendName);
    server = await startServer(backend, { MONAMI_LOGIN_FAILURES_PER_ADDRESS: '4' });
  });
  afterAll(async () => {
    await server?.close();
    await backend?.drop();
  });

  it('refuses an address that failed too often, whichever accounts it tried', async () => {
    const user = await registerAndLogin(server);
    const connect = (credentials: Record<string, string>) =>
      new MinamiSession(new Socket(`${server.url.replace(/^http/, 'ws')}/im/login?${new URLSearchParams(credentials)}`));
    for (let i = 0; i < 4; i++) expect((await connect({ account: uniqueName('ghost'), password: 'x' }).login).code).toBe(505);
    expect((await connect({ account: user.account, password: user.password }).login).code).toBe(532);
    expect((await connect({ account: user.account, token: user.auth.token }).login).code).toBe(532);
    // An already open session is not affected.
    expect((await server.http.found(user.auth, 'x')).code).toBe(200);
    await user.session.close();
  });
});

describe('a store that fails under a running server', () => {
  it('answers 500 and keeps serving what does not need the store', async () => {
    const backend = await createBackend('sqlite');
    const server = await startServer(backend);
    const user = await registerAndLogin(server);
    // An account endpoint whose sender is no longer in the account cache (a profile change drops it).
    const endpoint = MonsterEndpoint.connect(server.url, `/${user.account}`, user.auth.token, Socket);
    expect(await endpoint.request({ code: '1000' })).toMatchObject({ statusCode: '100' });
    expect(await user.session.request({ code: '3001', sign: 'about to fail' })).toMatchObject({ statusCode: '200' });
    await server.monami.store.close();
    // Its frames are still answered: 500, not silence.
    expect(await endpoint.request({ code: '3002', messageId: 'h-down' })).toMatchObject({ messageId: 'h-down', statusCode: '500' });
    const attempt = new MinamiSession(new Socket(`${server.url.replace(/^http/, 'ws')}/im/login?${new URLSearchParams({ account: user.account, password: user.password })}`));
    expect(await attempt.login).toEqual(err(500, 'Internal Server Error'));
    expect((await attempt.closed).code).toBe(1011);
    expect(await server.http.register({ account: uniqueName(), password: 'p', mail: 'm' })).toEqual(err(500, 'Internal Server Error'));
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
    expect((await fetch(`${server.url}/im/www/v1/chat.html`)).status).toBe(200);
    await Promise.all([user.session.close(), endpoint.close()]);
    await server.close().catch(() => {});
    await backend.drop();
  });
});
