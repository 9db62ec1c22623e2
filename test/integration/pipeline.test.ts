import { describe, expect, it } from 'vitest';
import { encodeText } from '../../client/monster.js';
import { availableBackends, createBackend } from '../support/backends.js';
import { befriendByMonster } from '../support/cluster.js';
import { registerAndLogin, serverForSuite, startServer, type TestServer, type User } from '../support/server.js';

const backends = await availableBackends();

describe.each(backends)('stored messages of one connection sharing commits, on %s', (backendName) => {
  const suite = serverForSuite(backendName);

  it('answers a burst in the order it was sent, and a frame after it sees every message before it', async () => {
    const alice = await registerAndLogin(suite.server);
    const bob = await registerAndLogin(suite.server);
    await befriendByMonster(alice, bob);
    const to = `@${bob.account}:localhost`;
    const answers: string[] = [];
    alice.session.onFrame((f) => f.code === '2001' && f.statusCode === '200' && answers.push(String(f.messageId)));
    // Sent without waiting: a duplicate among them, then a recall and a history read at once.
    const ids = Array.from({ length: 80 }, (_, i) => `p-${String(i).padStart(2, '0')}`);
    const sent = ids.map((messageId) => alice.session.request({ code: '2001', to, text: encodeText(messageId), messageId }));
    const again = alice.session.request({ code: '2001', to, text: encodeText('p-05'), messageId: 'p-05' });
    const recall = alice.session.request({ code: '2004', to, recallMessageId: 'p-79' });
    const history = alice.session.request({ code: '3002', to, limit: 100 });
    const results = await Promise.all(sent);
    expect(results.every((r) => r.statusCode === '200')).toBe(true);
    expect(answers.slice(0, 80)).toEqual(ids);
    // Seq numbers follow the order sent; the duplicate is answered as the same message.
    const seqs = results.map((r) => Number(r.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(await again).toMatchObject({ statusCode: '200', id: results[5]!.id });
    expect(await recall).toMatchObject({ statusCode: '200' });
    expect(((await history).messages as { messageId: string }[]).map((m) => m.messageId)).toEqual(ids);
    await Promise.all([alice.session.close(), bob.session.close()]);
  });
});

/** Two friends on a server of their own (on SQLite), whose store a test may close; torn down after `test`. */
async function withFriendsOnOwnServer(test: (server: TestServer, alice: User, bob: User) => Promise<void>): Promise<void> {
  const backend = await createBackend('sqlite');
  const server = await startServer(backend);
  try {
    const alice = await registerAndLogin(server);
    const bob = await registerAndLogin(server);
    await befriendByMonster(alice, bob);
    await test(server, alice, bob);
    await Promise.all([alice.session.close(), bob.session.close()]);
  } finally {
    await server.close().catch(() => {});
    await backend.drop();
  }
}

describe('stored messages of one connection when the store fails', () => {
  it('are each answered 500 in the order sent, and the connection goes on with its next frame', () =>
    withFriendsOnOwnServer(async (server, alice, bob) => {
      const to = `@${bob.account}:localhost`;
      expect(await alice.session.request({ code: '2001', to, text: encodeText('before'), messageId: 'f-0' })).toMatchObject({ statusCode: '200' });
      await server.monami.store.close();
      const answered: string[] = [];
      alice.session.onFrame((f) => f.code === '2001' && answered.push(String(f.messageId)));
      const ids = ['f-1', 'f-2', 'f-3', 'f-4'];
      const sent = ids.map((messageId) => alice.session.request({ code: '2001', to, text: encodeText(messageId), messageId }));
      // A live dialogue needs no store: it is answered once the stored messages before it are.
      const dialogue = alice.session.send(bob.auth.id, 'still here', 'd-1');
      expect((await Promise.all(sent)).map((r) => r.statusCode)).toEqual(['500', '500', '500', '500']);
      expect(answered).toEqual(ids);
      expect(await dialogue).toMatchObject({ code: 200, id: 'd-1' });
    }));
});

describe('a stored message whose reply throws', () => {
  it('is still stored, and the reply hears of the failure instead of the process an unhandled rejection', () =>
    withFriendsOnOwnServer(async (server, alice, bob) => {
      const { monster } = server.monami.services;
      const [from, to] = await Promise.all([monster.accountByName(alice.account), monster.accountByName(bob.account)]);
      const heard = await new Promise<{ done: number; failed: unknown }>((resolve) => {
        let done = 0;
        monster.send(from!, to!, 'throwing-reply', encodeText('kept'), null, {
          queued: () => {},
          done: () => {
            done++;
            throw new Error('the reply failed');
          },
          failed: (err) => resolve({ done, failed: err }),
        });
      });
      expect(heard).toMatchObject({ done: 1, failed: { message: 'the reply failed' } });
      const history = await bob.session.request({ code: '3002', to: `@${alice.account}:localhost` });
      expect((history.messages as { messageId: string }[]).map((m) => m.messageId)).toEqual(['throwing-reply']);
    }));
});
