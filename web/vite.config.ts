/**
 * The dashboard's build: web/ → dist/web, served by `slipway server` at `/`. Everything
 * is bundled (no CDN, nothing fetched at run time); file names under assets/ carry a
 * content hash, so the server lets browsers keep them.
 */
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const root = new URL('.', import.meta.url).pathname;

export default defineConfig({
  root,
  base: '/',
  plugins: [preact()],
  build: {
    outDir: new URL('../dist/web', import.meta.url).pathname,
    emptyOutDir: true,
    sourcemap: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 400,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:7300' } },
});
