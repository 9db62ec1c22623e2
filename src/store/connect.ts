import fs from 'node:fs';
import path from 'node:path';
import type SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { openSqliteFile } from './sqlite-file.js';
import { FlushedSqliteDialect, WalFile } from './sqlite-flushed-dialect.js';
import { SqliteWriter } from './sqlite-writer.js';
import { SqlStore } from './sql-store.js';
import type { Store } from './store.js';

export interface StoreOptions {
  /** A postgres:// URL selects PostgreSQL; otherwise SQLite in `dataDir`. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Told of connection-level failures that no query is waiting on. */
  onConnectionError?: (err: Error) => void;
}

export function isPostgresUrl(url: string | undefined): url is string {
  return !!url && /^postgres(ql)?:\/\//i.test(url);
}

export function openStore(options: StoreOptions): Store {
  if (isPostgresUrl(options.databaseUrl)) {
    const pool = createPostgresPool(options.databaseUrl, options.onConnectionError);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return new SqlStore(db, 'postgres');
  }
  fs.mkdirSync(options.dataDir, { recursive: true });
  const filePath = path.join(options.dataDir, 'monami.sqlite');
  const file = openSqliteFile(filePath, { flushedByCaller: true });
  cachePreparedStatements(file, 500);
  const db = new Kysely<Database>({ dialect: new FlushedSqliteDialect(file, new WalFile(`${filePath}-wal`)) });
  // Its thread starts once the schema exists (after migrations).
  return new SqlStore(db, 'sqlite', new SqliteWriter(filePath));
}

/** The connection pool of a PostgreSQL store. */
export function createPostgresPool(url: string, onConnectionError?: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // bigint columns hold epoch milliseconds: well inside a double, so read them as numbers.
    types: { getTypeParser: (oid: number, format?: any) => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) } as any,
  });
  // An idle connection the server terminated (restart, failover) is dropped by the pool and
  // the next query opens a new one; unheard, the pool's error event would end the process.
  pool.on('error', (err) => onConnectionError?.(err));
  // A connection in use (a transaction between two statements, a query in flight) has no
  // listener of the pool's: its error event would be thrown and end the process. The query
  // in flight fails with the error anyway, the next one on that connection fails too, and
  // the pool drops the connection when it comes back.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * Kysely's SQLite driver prepares every query anew; preparing was 14% of the server's
 * time in token logins. Statements are reusable (the driver only runs them to completion,
 * one at a time, on this one thread), so keep them by SQL text, a bounded number.
 */
function cachePreparedStatements(file: SQLite.Database, limit: number): void {
  const prepare = file.prepare.bind(file);
  const cache = new Map<string, SQLite.Statement>();
  file.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      statement = prepare(source);
      if (cache.size >= limit) cache.delete(cache.keys().next().value!);
      cache.set(source, statement);
    }
    return statement;
  }) as typeof file.prepare;
}
