import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteFile } from '../../src/store/sqlite-file.js';
import { FlushedSqliteDialect, WalFile, type Flusher } from '../../src/store/sqlite-flushed-dialect.js';

interface Tables {
  notes: { id: number; text: string };
}

/** A flush the test finishes (or fails) by hand, counting how often it was asked for. */
class HeldFlush implements Flusher {
  calls = 0;
  closed = false;
  private waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];

  flush(): Promise<void> {
    this.calls++;
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  finish(): void {
    for (const w of this.waiting.splice(0)) w.resolve();
  }

  fail(err: Error): void {
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Whether `promise` has settled by the next turn of the event loop. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => (done = true), () => (done = true));
  await nextTurn();
  return done;
}

describe('the store connection commits, then flushes the WAL off the event loop', () => {
  let dir: string;
  let file: string;
  let flush: HeldFlush;
  let db: Kysely<Tables>;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monami-flush-'));
    file = path.join(dir, 'db.sqlite');
    flush = new HeldFlush();
    const sqlite = openSqliteFile(file, { flushedByCaller: true });
    db = new Kysely<Tables>({ dialect: new FlushedSqliteDialect(sqlite, flush) });
    const create = db.schema.createTable('notes').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('text', 'text').execute();
    while (flush.calls === 0) await nextTurn();
    flush.finish();
    await create;
    flush.calls = 0;
  });

  afterEach(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers a write only once the flush has finished, the event loop turning meanwhile', async () => {
    const write = db.insertInto('notes').values({ id: 1, text: 'a' }).execute();
    // Each check waits for a turn of the event loop: other work runs while the flush is pending.
    for (let turn = 0; turn < 5; turn++) expect(await settled(write)).toBe(false);
    expect(flush.calls).toBe(1);
    flush.finish();
    await write;
    expect(await db.selectFrom('notes').select('text').execute()).toEqual([{ text: 'a' }]);
  });

  it('does not flush for reads, and flushes a transaction once, after its commit', async () => {
    await db.selectFrom('notes').selectAll().execute();
    expect(flush.calls).toBe(0);
    const callsInside: number[] = [];
    const tx = db.transaction().execute(async (trx) => {
      await trx.insertInto('notes').values({ id: 2, text: 'b' }).execute();
      callsInside.push(flush.calls);
      await trx.insertInto('notes').values({ id: 3, text: 'c' }).execute();
      callsInside.push(flush.calls);
    });
    while (flush.calls === 0) await nextTurn();
    expect(callsInside).toEqual([0, 0]);
    expect(await settled(tx)).toBe(false);
    flush.finish();
    await tx;
    expect(flush.calls).toBe(1);
  });

  it('holds the next statement until the flush before it has finished', async () => {
    const write = db.insertInto('notes').values({ id: 4, text: 'd' }).execute();
    const read = db.selectFrom('notes').select('id').execute();
    await nextTurn();
    expect(await settled(read)).toBe(false);
    flush.finish();
    await write;
    expect(await read).toEqual([{ id: 4 }]);
  });

  it('reports a failed flush as a failed write', async () => {
    const write = db.insertInto('notes').values({ id: 5, text: 'e' }).execute();
    await nextTurn();
    flush.fail(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    await expect(write).rejects.toThrow('EIO');
    // The connection is usable afterwards.
    const next = db.insertInto('notes').values({ id: 6, text: 'f' }).execute();
    await nextTurn();
    flush.finish();
    await next;
  });

  it('closes the flusher with the database', async () => {
    await db.destroy();
    expect(flush.closed).toBe(true);
    db = new Kysely<Tables>({ dialect: new FlushedSqliteDialect(openSqliteFile(file), flush) });
  });
});

describe('WalFile', () => {
  it('flushes the WAL file, reopens it after a failure, and closes it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monami-wal-'));
    const wal = new WalFile(path.join(dir, 'db.sqlite-wal'));
    try {
      await expect(wal.flush()).rejects.toMatchObject({ code: 'ENOENT' });
      const sqlite = openSqliteFile(path.join(dir, 'db.sqlite'), { flushedByCaller: true });
      sqlite.exec('create table t (x)');
      sqlite.exec('insert into t values (1)');
      await wal.flush();
      await wal.flush();
      await wal.close();
      sqlite.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opens the store connection without its own flush, every other connection with it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'monami-wal-'));
    try {
      const flushed = openSqliteFile(path.join(dir, 'db.sqlite'), { flushedByCaller: true });
      const other = openSqliteFile(path.join(dir, 'db.sqlite'));
      expect(flushed.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(other.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(flushed.pragma('journal_mode', { simple: true })).toBe('wal');
      flushed.close();
      other.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
