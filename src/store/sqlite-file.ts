import SQLite from 'better-sqlite3';

/** Opens monami's SQLite file with the settings every connection to it uses. */
export function openSqliteFile(file: string): SQLite.Database {
  const db = new SQLite(file);
  // WAL lets readers run beside the writer; FULL makes every commit durable before we ack it.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}
