// The web app: built into web/dist, served by the Latchkey server at `/` (src/http/web.ts).
// In development (`npm run dev -w @latchkey/web`) Vite proxies /graphql to a server on :4000.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/graphql': 'http://127.0.0.1:4000' } },
});
