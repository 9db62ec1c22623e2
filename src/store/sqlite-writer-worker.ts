import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteFile } from './sqlite-file.js';
import { SqliteMessageLog } from './sqlite-message-log.js';
import type { WriterReply, WriterRequest } from './sqlite-writer.js';

/** The thread that owns the message log's connection: its commits wait for the disk here. */
const db = openSqliteFile(workerData.file as string);
const log = new SqliteMessageLog(db);
const port = parentPort!;

port.on('message', (request: WriterRequest) => {
  let reply: WriterReply;
  try {
    switch (request.op) {
      case 'append':
        reply = { id: request.id, result: log.appendBatch(request.items) };
        break;
      case 'recall':
        reply = { id: request.id, result: log.recall(request.messageId, request.at, request.recipients) };
        break;
      case 'marks':
        log.markDelivered(request.marks);
        reply = { id: request.id, result: null };
        break;
      case 'close':
        db.close();
        reply = { id: request.id, result: null };
        break;
    }
  } catch (err) {
    const e = err as { message?: string; code?: string };
    reply = { id: request.id, error: { message: String(e?.message ?? err), code: e?.code } };
  }
  port.postMessage(reply);
  if (request.op === 'close') port.close();
});
