import WebSocket from 'ws';
import { MinamiHttp, MinamiSession, type SocketFactory } from '../client/minami.js';

const Socket = WebSocket as unknown as SocketFactory;

export interface BenchUser {
  account: string;
  id: string;
  token: string;
  password: string;
}

/** Runs `task` over `items` with at most `limit` at a time. */
export async function inBatches<T, R>(items: T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Registers `count` people through the protocol and logs each in once for a token. */
export async function createUsers(baseUrl: string, prefix: string, count: number, onEach: () => void = () => {}): Promise<BenchUser[]> {
  const http = new MinamiHttp(baseUrl);
  return inBatches(Array.from({ length: count }, (_, i) => i), 16, async (i) => {
    const account = `${prefix}${i}`;
    const password = `pw-${account}`;
    const registered = await http.register({ account, password, mail: `${account}@bench.invalid` });
    if (registered.code !== 200 && registered.code !== 504) throw new Error(`register ${account}: ${registered.message}`);
    const session = MinamiSession.connect(baseUrl, { account, password }, Socket);
    const login = await session.login;
    await session.close();
    if (login.code !== 200) throw new Error(`login ${account}: ${login.message}`);
    onEach();
    return { account, id: login.profile.id, token: login.token, password };
  });
}

/** Makes users 2k and 2k+1 friends (request, then accept). */
export async function befriendPairs(baseUrl: string, users: BenchUser[]): Promise<void> {
  const http = new MinamiHttp(baseUrl);
  const pairs = Array.from({ length: Math.floor(users.length / 2) }, (_, k) => [users[2 * k]!, users[2 * k + 1]!] as const);
  await inBatches(pairs, 16, async ([a, b]) => {
    await http.request({ id: a.id, token: a.token }, b.id, 'bench');
    const added = await http.add({ id: b.id, token: b.token }, a.id, a.account);
    if (added.code !== 200 && added.code !== 522) throw new Error(`befriend: ${added.message}`);
  });
}

/** Creates an open group owned by `owner` and has every member join it; returns its address. */
export async function createGroup(baseUrl: string, owner: BenchUser, members: BenchUser[], name: string, domain: string): Promise<string> {
  const session = MinamiSession.connect(baseUrl, { account: owner.account, token: owner.token }, Socket);
  await session.login;
  const created = await session.request({ code: '3101', name, accountType: '2', policy: 'open' });
  await session.close();
  if (created.statusCode !== '200') throw new Error(`group: ${String(created.error)}`);
  const address = `@${name}:${domain}`;
  await inBatches(members, 32, async (m) => {
    const s = MinamiSession.connect(baseUrl, { account: m.account, token: m.token }, Socket);
    await s.login;
    const joined = await s.request({ code: '1001', to: address });
    await s.close();
    if (joined.type !== '1') throw new Error(`join: ${JSON.stringify(joined)}`);
  });
  return address;
}

export const loginUrl = (baseUrl: string, u: BenchUser, how: 'token' | 'password' = 'token') =>
  `${baseUrl.replace(/^http/, 'ws')}/im/login?${new URLSearchParams(how === 'token' ? { account: u.account, token: u.token } : { account: u.account, password: u.password })}`;
