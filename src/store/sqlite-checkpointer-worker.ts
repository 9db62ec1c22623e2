import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteFile } from './sqlite-file.js';

/**
 * The thread that copies the WAL back into the database file. A checkpoint run by the
 * committing connection held that commit (and every message waiting behind it) for the
 * copy and its disk flush; a passive checkpoint here runs beside the writer instead.
 */
const db = openSqliteFile(workerData.file as string);
const port = parentPort!;

port.on('message', (request: { op: 'checkpoint' | 'close' }) => {
  if (request.op === 'close') {
    db.close();
    port.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Left for the next one (after the next commit, or the sweep); the connections' own
    // backstop (sqlite-file.ts) bounds the WAL meanwhile.
  }
  port.postMessage('done');
});
