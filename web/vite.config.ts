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

// The page is served at /im/www/v1/chat.html: relative asset URLs keep it working under
// that path (or any other the server chooses).
export default defineConfig({
  root,
  base: './',
  publicDir: false,
  plugins: [react(), contentSecurityPolicy()],
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
