import net from 'node:net';

/**
 * One login socket as the login scenario needs it, and no more: the opening handshake, the
 * server's first frame (the login answer), a close handshake. The `ws` client spends about
 * 0.7 ms of CPU per connection on this (an HTTP client request, handshake key and checks,
 * its stream machinery): more than the server under test, so the generator, not the
 * server, set the login rate. The frames involved are fixed, so they are spelled out here.
 */

/** The handshake key is checked by no one here; any 16 bytes in base64 (the protocol's only demand) will do. */
const HANDSHAKE_KEY = 'bW9uYW1pIGxvZ2luIGtleQ==';
/** A masked close frame, status 1000 (a zero mask leaves the payload as it is). */
const CLOSE_FRAME = Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]);
const HEADERS_END = Buffer.from('\r\n\r\n');
const SWITCHING = 'HTTP/1.1 101 ';
/** A login answer never comes close to this; a larger length means a broken stream. */
const MAX_FRAME = 1 << 20;
const PROBE_TIMEOUT_MS = 10_000;

export type ProbeOutcome = 'ok' | 'refused' | 'failed';

/** Opcodes of the frames a server sends this socket: the answer, a heartbeat's ping, a close. */
const TEXT = 0x1;
const PING = 0x9;

/**
 * The frame at the start of `data` (unmasked and unfragmented, as a server sends these
 * small frames): its opcode, payload and size in bytes; null while more bytes are needed.
 */
export function readFrame(data: Buffer): { opcode: number; payload: Buffer; size: number } | 'invalid' | null {
  if (data.length < 2) return null;
  if ((data[0]! & 0x80) === 0 || (data[1]! & 0x80) !== 0) return 'invalid';
  let length = data[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return null;
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return null;
    const long = data.readBigUInt64BE(2);
    if (long > BigInt(MAX_FRAME)) return 'invalid';
    length = Number(long);
    offset = 10;
  }
  if (data.length < offset + length) return null;
  return { opcode: data[0]! & 0x0f, payload: data.subarray(offset, offset + length), size: offset + length };
}

/**
 * Opens a login socket to `url` (ws://host:port/path?query; plain TCP only, the bench
 * refuses a TLS address for this scenario), reads the first frame and
 * closes: 'ok' when it answered code 200, 'refused' for any other answer, 'failed' when
 * the handshake or the connection failed.
 */
export function probeLogin(url: URL): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let outcome: ProbeOutcome | null = null;
    let received: Buffer = Buffer.alloc(0);
    let upgraded = false;
    const socket = net.connect(Number(url.port || 80), url.hostname);
    socket.setNoDelay(true);
    // A server that never answers or never closes must not hold a worker past the run.
    socket.setTimeout(PROBE_TIMEOUT_MS, () => socket.destroy());
    const settle = (result: ProbeOutcome) => {
      if (outcome !== null) return;
      outcome = result;
      if (result === 'failed') socket.destroy();
      // Close as a client does: its close frame, then wait for the server's close and end.
      else socket.write(CLOSE_FRAME);
    };
    socket.on('connect', () => {
      socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${HANDSHAKE_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      if (outcome !== null) return;
      received = received.length ? Buffer.concat([received, chunk]) : chunk;
      if (!upgraded) {
        const end = received.indexOf(HEADERS_END);
        if (end < 0) return received.length > 16_384 ? settle('failed') : undefined;
        if (received.toString('latin1', 0, SWITCHING.length) !== SWITCHING) return settle('failed');
        upgraded = true;
        received = received.subarray(end + HEADERS_END.length);
      }
      let frame = readFrame(received);
      // The server's heartbeat may ping before it answers; a ping asks for nothing here.
      while (frame !== null && frame !== 'invalid' && frame.opcode === PING) {
        received = received.subarray(frame.size);
        frame = readFrame(received);
      }
      if (frame === null) return;
      if (frame === 'invalid' || frame.opcode !== TEXT) return settle('failed');
      try {
        const answer = JSON.parse(frame.payload.toString()) as { code?: unknown };
        settle(answer.code === 200 ? 'ok' : 'refused');
      } catch {
        settle('failed');
      }
    });
    socket.on('end', () => socket.end());
    socket.on('error', () => settle('failed'));
    socket.on('close', () => resolve(outcome ?? 'failed'));
  });
}
