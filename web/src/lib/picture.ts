/**
 * Pictures. A profile picture travels as base64 text (`img/base64:<data>`, as minami's
 * registration sends it); the client shrinks what the user picks to a small square JPEG
 * first, so it stays far below the server's limit and loads fast everywhere.
 */

const SIZE = 192;
const MAX_FILE_BYTES = 20 * 1024 * 1024;

export class PictureError extends Error {
  constructor(readonly reason: 'unreadable' | 'too-big') {
    super(reason);
  }
}

/** Reads an image file, crops it to a centred square and returns `img/base64:<jpeg>`. */
export async function pictureFromFile(file: File): Promise<string> {
  if (file.size > MAX_FILE_BYTES) throw new PictureError('too-big');
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new PictureError('unreadable');
  }
  const side = Math.min(bitmap.width, bitmap.height);
  if (!side) throw new PictureError('unreadable');
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = SIZE;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new PictureError('unreadable');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, SIZE, SIZE);
  ctx.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, SIZE, SIZE);
  bitmap.close();
  const dataUrl = canvas.toDataURL('image/jpeg', 0.86);
  return `img/base64:${dataUrl.slice(dataUrl.indexOf(',') + 1)}`;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * A data: URL for a stored picture, or null. Only base64 PNG, JPEG, GIF and WebP (told by
 * their first bytes) become URLs; anything else is drawn as an initial instead.
 */
export function pictureUrl(picture: unknown): string | null {
  if (typeof picture !== 'string' || !picture) return null;
  let data: string;
  if (picture.startsWith('img/base64:')) data = picture.slice('img/base64:'.length);
  else {
    const m = /^data:image\/[a-z+.-]+;base64,(.*)$/s.exec(picture);
    if (!m) return null;
    data = m[1]!;
  }
  data = data.replace(/\s+/g, '');
  if (!BASE64.test(data)) return null;
  const mime = data.startsWith('iVBOR') ? 'image/png'
    : data.startsWith('/9j/') ? 'image/jpeg'
    : data.startsWith('R0lGOD') ? 'image/gif'
    : data.startsWith('UklGR') ? 'image/webp'
    : null;
  return mime ? `data:${mime};base64,${data}` : null;
}
