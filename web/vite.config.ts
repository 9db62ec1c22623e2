import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/web', import.meta.url));

/**
 * The built page only runs its own scripts: a Content-Security-Policy in the page (not in
 * the development server, whose hot reload injects inline scripts). User text is rendered
 * as text anyway; this is the second wall.
 */
function contentSecurityPolicy(): Plugin {
  const policy = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    "connect-src 'self' ws: wss:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return {
    name: 'monami-csp',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: policy }, injectTo: 'head-prepend' }],
  };
}

/**
 * STUN/TURN servers for calls, fixed at build time: MONAMI_ICE_SERVERS is a JSON list of
 * RTCIceServer objects. Without it, calls connect on one host or one network only.
 */
function iceServers(): Plugin {
  const raw = process.env.MONAMI_ICE_SERVERS;
  let content = '';
  if (raw) {
    const list: unknown = JSON.parse(raw);
    if (!Array.isArray(list) || !list.every((s) => s && typeof s === 'object' && 'urls' in s)) {
      throw new Error('MONAMI_ICE_SERVERS must be a JSON list of {"urls": ...} objects');
    }
    content = JSON.stringify(list);
  }
  return {
    name: 'monami-ice-servers',
    transformIndexHtml: () => (content ? [{ tag: 'meta', attrs: { name: 'monami-ice-servers', content }, injectTo: 'head' }] : []),
  };
}

// The page is served at /im/www/v1/chat.html: relative asset URLs keep it working under
// that path (or any other the server chooses).
export default defineConfig({
  root,
  base: './',
  publicDir: false,
  plugins: [react(), contentSecurityPolicy(), iceServers()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: { chat: fileURLToPath(new URL('chat.html', import.meta.url)) } },
  },
  server: {
    // `npm run dev:web` next to a running server (`npm run dev`, port 8080).
    proxy: {
      '/im/login': { target: 'ws://localhost:8080', ws: true },
      '/im/register': 'http://localhost:8080',
      '/im/friends': 'http://localhost:8080',
      '/im/logout': 'http://localhost:8080',
      '/im/avatar': 'http://localhost:8080',
    },
  },
});
