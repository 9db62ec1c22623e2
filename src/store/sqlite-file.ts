import SQLite from 'better-sqlite3';

/** Opens monami's SQLite file with the settings every connection to it uses. */
export function openSqliteFile(file: string): SQLite.Database {
  const db = new SQLite(file);
  // WAL lets readers run beside the writer; FULL makes every commit durable before we ack it.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // The checkpointer thread (sqlite-checkpointer.ts) copies the WAL back. A connection's own
  // checkpoint would hold its commit (the main thread's, or a batch of messages) for the
  // copy; it happens only if the WAL outgrows this, should that thread fall behind.
  db.pragma('wal_autocheckpoint = 50000');
  return db;
}
