import { useState } from 'react';
import { pictureUrl } from '../lib/picture.js';

/** A picture, or the first letter of the name on a colour derived from the address. */
export function Avatar({ name, picture, seed, size = 40, online, kind }: { name: string; picture?: string; seed: string; size?: number; online?: boolean; kind?: 'group' | 'channel' }) {
  const [broken, setBroken] = useState(false);
  const url = broken ? null : pictureUrl(picture);
  let hue = 0;
  for (const ch of seed) hue = (hue * 31 + ch.codePointAt(0)!) % 360;
  const initial = (Array.from(name.trim())[0] ?? '?').toUpperCase();
  return (
    <span className={`avatar${kind ? ` avatar-${kind}` : ''}`} style={{ width: size, height: size, fontSize: size * 0.42, ['--hue' as string]: String(hue) }} aria-hidden="true">
      {url ? <img src={url} alt="" onError={() => setBroken(true)} /> : <span className="avatar-initial">{initial}</span>}
      {online !== undefined && <span className={`presence ${online ? 'on' : 'off'}`} data-testid="online-dot" data-online={String(online)} />}
    </span>
  );
}
