import WebSocket from 'ws';
import { afterAll, beforeAll } from 'vitest';
import { MinamiHttp, MinamiSession, type Auth, type LoginFrame, type SocketFactory } from '../../client/minami.js';
import { createMonami, type Monami } from '../../src/server/app.js';
import { configFromEnv } from '../../src/server/config.js';
import { createBackend, type Backend } from './backends.js';

/**
 * A real monami server on 127.0.0.1 (random port) over a backend. Password hashing uses
 * scrypt N=2^10 to keep the suite fast; the cost is stored per hash, so the code path is
 * the production one.
 */
export interface TestServer {
  monami: Monami;
  url: string;
  http: MinamiHttp;
  close(): Promise<void>;
}

export async function startServer(backend: Backend, env: Record<string, string> = {}): Promise<TestServer> {
  const config = configFromEnv({
    HOST: '127.0.0.1',
    PORT: '0',
    MONAMI_DATA_DIR: backend.dataDir,
    DATABASE_URL: backend.databaseUrl,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    MONAMI_SCRYPT_LOG2N: '10',
    ...env,
  });
  const monami = await createMonami(config);
  const url = await monami.listen();
  return { monami, url, http: new MinamiHttp(url), close: () => monami.close() };
}

/**
 * Inside a `describe`: a server on a fresh backend for its tests, started before them and
 * closed (its data dropped) after them. Read `.server` in the tests.
 */
export function serverForSuite(backendName: Backend['name'], env: Record<string, string> = {}): { readonly server: TestServer } {
  let backend: Backend | undefined;
  let server: TestServer | undefined;
  beforeAll(async () => {
    backend = await createBackend(backendName);
    server = await startServer(backend, env);
  });
  afterAll(async () => {
    await server?.close();
    await backend?.drop();
  });
  return {
    get server() {
      if (!server) throw new Error('the suite server is not started yet');
      return server;
    },
  };
}

export const Socket = WebSocket as unknown as SocketFactory;

export interface User {
  account: string;
  password: string;
  auth: Auth;
  login: LoginFrame;
  session: MinamiSession;
}

let counter = 0;
export const uniqueName = (prefix = 'user') => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

/** Registers a fresh person and opens a login session for them. */
export async function registerAndLogin(server: TestServer, fields: Partial<{ account: string; name: string; password: string }> = {}): Promise<User> {
  const account = fields.account ?? uniqueName();
  const password = fields.password ?? `pw-${account}`;
  const registered = await server.http.register({ account, password, mail: `${account}@example.org`, ...(fields.name ? { name: fields.name } : {}) });
  if (registered.code !== 200) throw new Error(`register ${account}: ${JSON.stringify(registered)}`);
  const session = MinamiSession.connect(server.url, { account, password }, Socket);
  const login = await session.login;
  if (login.code !== 200) throw new Error(`login ${account}: ${JSON.stringify(login)}`);
  return { account, password, auth: { id: login.profile.id, token: login.token }, login, session };
}

/** Makes two users friends through the protocol: a request, then its acceptance. */
export async function befriend(server: TestServer, a: User, b: User): Promise<void> {
  const requested = await server.http.request(a.auth, b.auth.id, 'hi');
  if (requested.code !== 200) throw new Error(`request: ${JSON.stringify(requested)}`);
  await b.session.next((f) => f.code === 520);
  const added = await server.http.add(b.auth, a.auth.id, a.account);
  if (added.code !== 200) throw new Error(`add: ${JSON.stringify(added)}`);
  await a.session.next((f) => f.code === 301 && (f.friend as { id: string }).id === b.auth.id);
  await b.session.next((f) => f.code === 301 && (f.friend as { id: string }).id === a.auth.id);
}
