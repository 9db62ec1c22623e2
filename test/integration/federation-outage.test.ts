import { execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { MinamiHttp, MinamiSession, type MinamiSession as Session } from '../../client/minami.js';
import { encodeText } from '../../client/monster.js';
import { availableBackends, createBackend, type Backend } from '../support/backends.js';
import { freePort, startFederatedServer, type FederatedServer } from '../support/federation.js';
import { serveProcess } from '../support/process.js';
import { registerAndLogin, Socket, type User } from '../support/server.js';

const backends = await availableBackends();
const at = (domain: string, account: string) => `@${account}:${domain}`;

/** Every messageId of a conversation's history, oldest first, paging back from the newest. */
async function historyIds(session: Session, to: string): Promise<string[]> {
  const ids: string[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await session.request({ code: '3002', to, limit: 100, ...(before ? { before } : {}) });
    const messages = page.messages as { id: number; messageId: string }[];
    if (!messages?.length) return ids;
    ids.unshift(...messages.map((m) => m.messageId));
    before = messages[0]!.id;
  }
}

/** alice (on `a`) and bob (on `b`) become friends across the two servers. */
async function befriendAcross(alice: User, aDomain: string, bob: User, bDomain: string): Promise<void> {
  expect(await alice.session.request({ code: '1001', to: at(bDomain, bob.account) })).toMatchObject({ type: '2' });
  await bob.session.next((f) => f.code === 520);
  expect(await bob.session.request({ code: '1002', to: at(aDomain, alice.account) })).toMatchObject({ statusCode: '200' });
  await alice.session.next((f) => f.code === 301);
}

describe.each(backends)('federation when the remote server is down, on %s', (backendName) => {
  const backendsToDrop: Backend[] = [];
  const servers: FederatedServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(backendsToDrop.map((b) => b.drop()));
  });

  it('queues while the remote is stopped and delivers everything once, in order, when it is back', async () => {
    const [backendA, backendB] = await Promise.all([createBackend(backendName), createBackend(backendName)]);
    backendsToDrop.push(backendA, backendB);
    const a = await startFederatedServer(backendA);
    let b = await startFederatedServer(backendB);
    servers.push(a);
    const alice = await registerAndLogin(a);
    const bob = await registerAndLogin(b);
    await befriendAcross(alice, a.domain, bob, b.domain);
    await bob.session.close();
    await b.close();

    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      const messageId = `down-${String(i).padStart(3, '0')}`;
      expect(await alice.session.request({ code: '2001', to: at(b.domain, bob.account), text: encodeText(`#${i}`), messageId })).toMatchObject({ statusCode: '200' });
      sent.push(messageId);
    }
    await expect.poll(async () => (await a.monami.store.federation().outboxDepths()).get(b.domain)).toBe(30);
    // Operators see the queue and the failures.
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    expect(metrics).toContain(`monami_federation_outbox_depth{destination="${b.domain}"} 30`);
    expect(metrics).toMatch(new RegExp(`monami_federation_failures_total\\{destination="${b.domain.replace(/\./g, '\\.')}"\\} [1-9]`));

    // `monami federation outbox` lists the queue; `drop` takes a frame out of it unsent.
    const cli = async (...args: string[]) =>
      (await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'federation', ...args, '--data-dir', backendA.dataDir, ...(backendA.databaseUrl ? ['--database-url', backendA.databaseUrl] : [])], { cwd: path.resolve(import.meta.dirname, '..', '..') })).stdout;
    const listed = await cli('outbox', b.domain, '--limit', '5');
    expect(listed).toContain(`${b.domain}: 30 waiting, the oldest 5`);
    const rows = listed.split('\n').filter((line) => /^\d+ /.test(line));
    expect(rows).toHaveLength(5);
    expect(rows[0]).toContain(`@${alice.account}:${a.domain}`);
    expect(rows.map((r) => r.trim().split(/\s+/).pop())).toEqual(sent.slice(0, 5));
    const dropId = rows[2]!.split(/\s+/)[0]!;
    expect(await cli('drop', b.domain, dropId)).toContain(`${b.domain}: 1 dropped`);
    sent.splice(2, 1);
    await expect(cli('drop', b.domain)).rejects.toMatchObject({ code: 2 });
    expect((await a.monami.store.federation().outboxDepths()).get(b.domain)).toBe(29);

    b = await startFederatedServer(backendB, {}, b.port);
    servers.push(b);
    const again = MinamiSession.connect(b.url, { account: bob.account, token: bob.auth.token }, Socket);
    expect((await again.login).code).toBe(200);
    await expect.poll(() => historyIds(again, at(a.domain, alice.account)), { timeout: 15_000, interval: 200 }).toEqual(sent);
    expect((await a.monami.store.federation().outboxDepths()).size).toBe(0);
    await Promise.all([again.close(), alice.session.close()]);
  });
});

/** A server as its own process, federating over plain ws with loopback allowed. */
const federatingProcess = (dataDir: string, port: number) =>
  serveProcess(['--data-dir', dataDir], {
    LOG_LEVEL: 'warn', MONAMI_DOMAIN: `127.0.0.1:${port}`, MONAMI_FEDERATION_TLS: 'false', MONAMI_FEDERATION_ALLOW_PRIVATE: 'true',
    MONAMI_FEDERATION_RETRY_BASE_MS: '50', MONAMI_FEDERATION_RETRY_MAX_SECONDS: '1',
  }, port);

describe('federation when the sending server is killed', () => {
  const children: ChildProcess[] = [];
  let backendB: Backend;
  let b: FederatedServer;
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await b?.close();
    await backendB?.drop();
  });

  it('delivers every acknowledged message once and in order after a SIGKILL mid-outbox and a restart', async () => {
    backendB = await createBackend('sqlite');
    b = await startFederatedServer(backendB);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'monami-fed-kill-'));
    const port = await freePort();
    const first = await federatingProcess(dataDir, port);
    children.push(first.child);
    const aDomain = `127.0.0.1:${port}`;

    const http = new MinamiHttp(first.url);
    expect((await http.register({ account: 'killalice', password: 'pw-killalice', mail: 'k@example.org' })).code).toBe(200);
    const session = MinamiSession.connect(first.url, { account: 'killalice', password: 'pw-killalice' }, Socket);
    const login = await session.login;
    const alice: User = { account: 'killalice', password: 'pw-killalice', auth: { id: login.profile.id, token: login.token }, login, session };
    const bob = await registerAndLogin(b);
    await befriendAcross(alice, aDomain, bob, b.domain);

    // Stream messages with a window of 50 in flight; kill the server once 400 are acknowledged.
    const acked: string[] = [];
    const to = at(b.domain, bob.account);
    let next = 0;
    const killed = new Promise<void>((resolve) => {
      const pump = () => {
        if (acked.length >= 400) return resolve();
        const messageId = `k-${String(next++).padStart(5, '0')}`;
        session.request({ code: '2001', to, text: encodeText(messageId), messageId }).then(
          (answer) => {
            if (answer.statusCode === '200') acked.push(messageId);
            pump();
          },
          () => undefined,
        );
      };
      for (let i = 0; i < 50; i++) pump();
    });
    await killed;
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const ackedAtKill = [...acked];

    const second = await federatingProcess(dataDir, port);
    children.push(second.child);
    await expect.poll(async () => {
      const ids = await historyIds(bob.session, at(aDomain, 'killalice'));
      return ackedAtKill.every((id) => ids.includes(id)) ? ids : null;
    }, { timeout: 30_000, interval: 300 }).not.toBeNull();
    const ids = await historyIds(bob.session, at(aDomain, 'killalice'));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort());
    for (const id of ackedAtKill) expect(ids).toContain(id);
    await bob.session.close();
  }, 90_000);
});
