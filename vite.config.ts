import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// `base: './'` makes dist/ work from any static host or sub-path (GitHub Pages, a file share).
export default defineConfig({
  base: './',
  plugins: [svelte()],
  // Deep import used by the WGSL kernels; pre-bundled so the dev server never reloads mid-run.
  optimizeDeps: { include: ['@tensorflow/tfjs-backend-webgpu/dist/webgpu_program'] },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  server: { port: 5173, strictPort: true },
  preview: { port: 4173, strictPort: true },
});
