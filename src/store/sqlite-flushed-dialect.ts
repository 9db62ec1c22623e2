import fs from 'node:fs/promises';
import type SQLite from 'better-sqlite3';
import {
  SqliteDialect,
  SqliteDriver,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';

/**
 * The store's own SQLite connection (accounts, tokens, relations, memberships) commits
 * without flushing (`synchronous=NORMAL`), and each commit is then made durable by an
 * `fdatasync` of the WAL file on libuv's thread pool before its caller is answered. With
 * `synchronous=FULL` SQLite flushed inside the statement, on the event loop: every
 * registration, password login or friend request stopped every socket of the node for as
 * long as the disk took (0.4 ms on a quiet day here, 2.5 ms on a busy one, and the disk's
 * rare stalls of 100 ms and more). A caller still waits as long as before; nobody else does.
 *
 * Durability is FULL's: the WAL is only ever appended to (or rewritten from its start
 * after a checkpoint), so one `fdatasync` of it covers every frame written before it, the
 * commit's included; the other connections (the message writer, the checkpointer) keep
 * FULL, and a checkpoint flushes the WAL before copying it back.
 */
export class FlushedSqliteDialect extends SqliteDialect {
  constructor(
    private readonly database: SQLite.Database,
    private readonly wal: Flusher,
  ) {
    super({ database });
  }

  override createDriver(): Driver {
    return new FlushingDriver(this.database, this.wal);
  }
}

/** What makes the connection's commits durable (WalFile below). */
export interface Flusher {
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * SQLite's driver, its one connection wrapped so that commits are followed by the flush.
 * Its transactions run their BEGIN and COMMIT through the connection it hands out, so they
 * go through the wrapper too.
 */
class FlushingDriver extends SqliteDriver {
  private connection: FlushingConnection | null = null;

  constructor(
    private readonly database: SQLite.Database,
    private readonly wal: Flusher,
  ) {
    super({ database });
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await super.acquireConnection();
    if (this.connection?.inner !== connection) this.connection = new FlushingConnection(connection, this.database, this.wal);
    return this.connection;
  }

  override async destroy(): Promise<void> {
    await this.wal.close();
    await super.destroy();
  }
}

class FlushingConnection implements DatabaseConnection {
  /** A write ran inside the open transaction: its commit must be flushed. */
  private unflushed = false;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly database: SQLite.Database,
    private readonly wal: Flusher,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // `readonly` is SQLite's own verdict on the statement (a transaction's COMMIT counts as
    // read-only: the writes before it set the flag). Statements are cached by their text.
    const writes = !this.database.prepare(query.sql).readonly;
    const result = await this.inner.executeQuery<R>(query);
    if (writes) this.unflushed = true;
    // The connection stays held while the flush runs (the driver's lock is released after
    // this returns), so a statement after a write never reads what a crash could undo.
    if (this.unflushed && !this.database.inTransaction) {
      this.unflushed = false;
      await this.wal.flush();
    }
    return result;
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/** `fdatasync` of a database's WAL file, through a handle opened once and kept. */
export class WalFile implements Flusher {
  private handle: Promise<fs.FileHandle> | null = null;

  constructor(private readonly path: string) {}

  async flush(): Promise<void> {
    const opening = (this.handle ??= fs.open(this.path, 'r+'));
    try {
      await (await opening).datasync();
    } catch (err) {
      // Open again next time (the failure may have been the handle's); the caller's write
      // is reported as failed, not as durable.
      if (this.handle === opening) this.handle = null;
      await opening.then((h) => h.close(), () => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    const opening = this.handle;
    this.handle = null;
    await opening?.then((h) => h.close(), () => undefined);
  }
}
