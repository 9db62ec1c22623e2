import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../service/index.js';

/** Image types an avatar may be, recognised by their first bytes (never by what the client claims). */
const SIGNATURES: [string, number[]][] = [
  ['image/png', [0x89, 0x50, 0x4e, 0x47]],
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/gif', [0x47, 0x49, 0x46, 0x38]],
  ['image/webp', [0x52, 0x49, 0x46, 0x46]],
];

/** Pictures are stored as minami sends them: "img/base64:<data>" (or a data: URL). */
export function decodePicture(picture: string): { type: string; bytes: Buffer } | null {
  const match = /^(?:img\/base64:|data:image\/[a-z+.-]+;base64,)([A-Za-z0-9+/=\s]+)$/.exec(picture);
  if (!match) return null;
  const bytes = Buffer.from(match[1]!, 'base64');
  const found = SIGNATURES.find(([, sig]) => sig.every((b, i) => bytes[i] === b));
  return found ? { type: found[0], bytes } : null;
}

/** GET /im/avatar/<name>: the picture behind 1000's `picurl`. */
export const avatarRoute: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  app.get('/im/avatar/:name', async (request, reply) => {
    const name = (request.params as { name?: unknown }).name;
    const account = typeof name === 'string' ? await services.monster.accountByName(name) : null;
    const image = account ? decodePicture(account.picture) : null;
    if (!image) return reply.code(404).send({ code: 404, message: 'Not Found', ok: false });
    return reply
      .type(image.type)
      .header('cache-control', 'public, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'")
      .send(image.bytes);
  });
};
