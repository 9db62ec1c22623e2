import fs from 'node:fs/promises';
import type SQLite from 'better-sqlite3';
import {
  SqliteDialect,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type TransactionSettings,
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
    return new FlushingDriver(super.createDriver(), this.database, this.wal);
  }
}

/** What makes the connection's commits durable (WalFile below). */
export interface Flusher {
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** SQLite's driver, with each connection's commits followed by the flush. */
class FlushingDriver implements Driver {
  private connection: FlushingConnection | null = null;

  constructor(
    private readonly inner: Driver,
    private readonly database: SQLite.Database,
    private readonly wal: Flusher,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    // SQLite's driver has one connection; wrap it once.
    if (this.connection?.inner !== connection) this.connection = new FlushingConnection(connection, this.database, this.wal);
    return this.connection;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection((connection as FlushingConnection).inner);
  }

  async destroy(): Promise<void> {
    await this.wal.close();
    await this.inner.destroy();
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
