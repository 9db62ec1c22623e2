import SQLite from 'better-sqlite3';

/**
 * Opens monami's SQLite file with the settings every connection to it uses. A connection
 * whose commits are flushed by its caller (`flushedByCaller`, see sqlite-flushed-dialect.ts)
 * does not flush them itself; every other one makes each commit durable before returning.
 */
export function openSqliteFile(file: string, options: { flushedByCaller?: boolean } = {}): SQLite.Database {
  const db = new SQLite(file);
  // WAL lets readers run beside the writer.
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new Error(`SQLite could not use a write-ahead log for ${file} (journal mode ${String(mode)})`);
  db.pragma(options.flushedByCaller ? 'synchronous = NORMAL' : 'synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // The checkpointer thread (sqlite-checkpointer.ts) copies the WAL back. A connection's own
  // checkpoint would hold its commit (the main thread's, or a batch of messages) for the
  // copy; it happens only if the WAL outgrows this, should that thread fall behind.
  db.pragma('wal_autocheckpoint = 50000');
  return db;
}
