import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeText, encodeText } from '../../client/monster.js';
import { availableBackends, createBackend, type Backend } from '../support/backends.js';
import { startFederatedServer, type FederatedServer } from '../support/federation.js';
import { registerAndLogin, type User } from '../support/server.js';

const backends = await availableBackends();
const isPush = (code: string) => (f: Record<string, unknown>) => f.code === code && f.statusCode === '300';

describe.each(backends)('federation between two servers on %s', (backendName) => {
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
  async function remoteFriends(): Promise<[User, User]> {
    const alice = await registerAndLogin(a);
    const bob = await registerAndLogin(b);
    const applied = await alice.session.request({ code: '1001', to: at(b, bob), note: 'hi from A' });
    expect(applied).toMatchObject({ code: '1001', statusCode: '100', type: '2' });
    const request = await bob.session.next((f) => f.code === 520);
    expect(request).toMatchObject({ request: { account: at(a, alice), address: at(a, alice), note: 'hi from A' } });
    expect(await bob.session.request({ code: '1002', to: at(a, alice) })).toMatchObject({ statusCode: '200' });
    const befriended = await alice.session.next((f) => f.code === 301);
    expect(befriended).toMatchObject({ friend: { address: at(b, bob) } });
    return [alice, bob];
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
});
