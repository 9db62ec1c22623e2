import fs from 'node:fs/promises';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * The raw-relay floor: the least a relay must do for the same workload — parse each JSON
 * frame, forward it to the addressed socket (or each member of a group, serialised once)
 * and answer the sender. No store, no authentication. Optional faults (drop or repeat
 * every n-th forward) exist only to prove the benchmark's accounting catches them.
 *
 * Durable (for the stored and group workloads, where monami commits each message before
 * its answer), the floor also does the least a relay must do for that: it appends each
 * Monster frame to a file and forwards and answers it only once an fdatasync covering it
 * has returned, one at a time for all the frames that arrived meanwhile (group commit).
 */
export interface FloorFaults {
  dropEvery: number;
  duplicateEvery: number;
}

export interface FloorOptions extends FloorFaults {
  /** A folder for the durable floor's file; none: nothing is written. */
  durableDir: string | null;
}

export interface Floor {
  port: number;
  close(): Promise<void>;
}

/** Frames appended to one file and made durable in batches: one write and one fdatasync for all that waited. */
class GroupCommitFile {
  private waiting: { line: string; then: () => void }[] = [];
  private flushing = false;

  constructor(private readonly file: fs.FileHandle) {}

  append(line: string, then: () => void): void {
    this.waiting.push({ line, then });
    if (!this.flushing) void this.flush();
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.waiting.length) {
      // As monami's group commit does: frames already read from the sockets join this batch.
      await new Promise((resolve) => setImmediate(resolve));
      const batch = this.waiting;
      this.waiting = [];
      await this.file.write(batch.map((b) => b.line).join(''));
      await this.file.datasync();
      for (const b of batch) b.then();
    }
    this.flushing = false;
  }
}

export async function startFloor(port = 0, options: FloorOptions = { dropEvery: 0, duplicateEvery: 0, durableDir: null }): Promise<Floor> {
  const file = options.durableDir ? await fs.open(path.join(options.durableDir, 'floor.log'), 'a') : null;
  const log = file && new GroupCommitFile(file);
  const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
  const sockets = new Map<string, WebSocket>();
  const groups = new Map<string, Set<WebSocket>>();
  let forwards = 0;

  const forward = (to: WebSocket | undefined, text: string) => {
    if (!to) return;
    forwards++;
    if (options.dropEvery && forwards % options.dropEvery === 0) return;
    to.send(text);
    if (options.duplicateEvery && forwards % options.duplicateEvery === 0) to.send(text);
  };

  server.on('connection', (socket, request) => {
    const query = new URL(request.url ?? '/', 'http://floor').searchParams;
    const id = query.get('id') ?? '';
    sockets.set(id, socket);
    for (const g of (query.get('groups') ?? '').split(',').filter(Boolean)) {
      if (!groups.has(g)) groups.set(g, new Set());
      groups.get(g)!.add(socket);
    }
    socket.send('{"code":200,"message":"Success","ok":true}');
    socket.on('close', () => {
      if (sockets.get(id) === socket) sockets.delete(id);
      for (const members of groups.values()) members.delete(socket);
    });
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Record<string, string>;
      if (frame.toFriend !== undefined) {
        forward(sockets.get(frame.toFriend), JSON.stringify({ id: frame.id, from: id, payload: frame.payload }));
        socket.send(JSON.stringify({ code: 200, message: 'Success', ok: true, id: frame.id }));
        return;
      }
      const text = JSON.stringify({ code: frame.code, statusCode: '300', messageId: frame.messageId, from: id, to: frame.to, text: frame.text });
      const relay = () => {
        const members = groups.get(frame.to!);
        if (members) for (const m of members) m !== socket && forward(m, text);
        else forward(sockets.get(frame.to!), text);
        socket.send(JSON.stringify({ messageId: frame.messageId, code: frame.code, statusCode: '200' }));
      };
      if (log) log.append(`${text}\n`, relay);
      else relay();
    });
  });

  return new Promise((resolve) =>
    server.once('listening', () =>
      resolve({
        port: (server.address() as { port: number }).port,
        close: async () => {
          await new Promise<void>((done) => {
            for (const s of server.clients) s.terminate();
            server.close(() => done());
          });
          await file?.close();
        },
      }),
    ),
  );
}
