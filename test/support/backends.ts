import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export const POSTGRES_ADMIN_URL = process.env.MONAMI_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REQUIRE_SERVICES = process.env.MONAMI_REQUIRE_SERVICES === '1';

/** A place for one server's data: a fresh SQLite folder, or a fresh PostgreSQL database. */
export interface Backend {
  name: 'sqlite' | 'postgres';
  dataDir: string;
  databaseUrl: string | undefined;
  drop(): Promise<void>;
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * The backends the integration suites run on. PostgreSQL is skipped when unreachable,
 * unless MONAMI_REQUIRE_SERVICES=1 (as in CI), where its absence fails the run.
 */
export async function availableBackends(): Promise<Backend['name'][]> {
  if (await postgresReachable()) return ['sqlite', 'postgres'];
  if (REQUIRE_SERVICES) throw new Error(`PostgreSQL is required (MONAMI_REQUIRE_SERVICES=1) but ${POSTGRES_ADMIN_URL} is unreachable`);
  return ['sqlite'];
}

export async function createBackend(name: Backend['name']): Promise<Backend> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'monami-test-'));
  if (name === 'sqlite') {
    return { name, dataDir, databaseUrl: undefined, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const database = `monami_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  return {
    name,
    dataDir,
    databaseUrl: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await client.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
