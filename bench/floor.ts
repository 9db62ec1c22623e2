import { WebSocketServer, type WebSocket } from 'ws';

/**
 * The raw-relay floor: the least a relay must do for the same workload — parse each JSON
 * frame, forward it to the addressed socket (or each member of a group, serialised once)
 * and answer the sender. No store, no authentication. Optional faults (drop or repeat
 * every n-th forward) exist only to prove the benchmark's accounting catches them.
 */
export interface FloorFaults {
  dropEvery: number;
  duplicateEvery: number;
}

export interface Floor {
  port: number;
  close(): Promise<void>;
}

export function startFloor(port = 0, faults: FloorFaults = { dropEvery: 0, duplicateEvery: 0 }): Promise<Floor> {
  const server = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
  const sockets = new Map<string, WebSocket>();
  const groups = new Map<string, Set<WebSocket>>();
  let forwards = 0;

  const forward = (to: WebSocket | undefined, text: string) => {
    if (!to) return;
    forwards++;
    if (faults.dropEvery && forwards % faults.dropEvery === 0) return;
    to.send(text);
    if (faults.duplicateEvery && forwards % faults.duplicateEvery === 0) to.send(text);
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
      const members = groups.get(frame.to!);
      if (members) for (const m of members) m !== socket && forward(m, text);
      else forward(sockets.get(frame.to!), text);
      socket.send(JSON.stringify({ messageId: frame.messageId, code: frame.code, statusCode: '200' }));
    });
  });

  return new Promise((resolve) =>
    server.on('listening', () =>
      resolve({
        port: (server.address() as { port: number }).port,
        close: () => new Promise((done) => {
          for (const s of server.clients) s.terminate();
          server.close(() => done());
        }),
      }),
    ),
  );
}
