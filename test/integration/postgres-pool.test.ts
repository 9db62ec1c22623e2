import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresPool } from '../../src/store/connect.js';
import { availableBackends, createBackend, POSTGRES_ADMIN_URL, type Backend } from '../support/backends.js';

const withPostgres = (await availableBackends()).includes('postgres');

describe.runIf(withPostgres)('the PostgreSQL pool', () => {
  const backends: Backend[] = [];
  afterAll(async () => {
    for (const b of backends) await b.drop();
  });

  it('survives the server ending a connection that is in use, and goes on with a new one', async () => {
    const backend = await createBackend('postgres');
    backends.push(backend);
    const idleErrors: Error[] = [];
    const pool = createPostgresPool(backend.databaseUrl!, (err) => idleErrors.push(err));
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      // Checked out, as a transaction holds its connection between two statements.
      const client = await pool.connect();
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      const ended = new Promise((resolve) => client.once('end', resolve));
      await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      await ended;
      await expect(client.query('select 1')).rejects.toThrow();
      client.release();
      expect((await pool.query<{ n: number }>('select 41 + 1 as n')).rows).toEqual([{ n: 42 }]);
      // An idle connection ended by the server is reported, not thrown.
      const idlePids = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
      await admin.query('select pg_terminate_backend($1)', [idlePids.rows[0]!.pid]);
      for (let i = 0; i < 100 && idleErrors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(idleErrors.length).toBe(1);
      expect((await pool.query<{ n: number }>('select 2 as n')).rows).toEqual([{ n: 2 }]);
    } finally {
      await admin.end();
      await pool.end();
    }
  });
});
