import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * Cross-origin isolation (COOP + COEP): SharedArrayBuffer, so tfjs-wasm loads its threaded build. `require-corp`
 * rather than `credentialless`: every resource of the app is same-origin (nothing needs CORP), and Safari
 * knows only `require-corp`. Static hosts that cannot set headers get them from public/coi-sw.js.
 */
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/**
 * tfjs-wasm hands its threaded module factory to its pthread workers as source text (`factory.toString()` in a
 * Blob), so the function must not read anything outside itself. It reads `_scriptDir`, declared in its enclosing
 * closure, behind a `typeof _scriptDir !== "undefined"` guard that the minifier drops (the name is declared there):
 * in the workers that read throws ("e is not defined") and the threaded backend never starts. Declaring
 * `_scriptDir` inside the factory keeps it self-contained; in a module worker its value is undefined either way
 * (no document.currentScript). Dev serves the unminified source, where the guard holds.
 */
function selfContainedWasmThreads(): Plugin {
  const anchor = 'function(WasmBackendModuleThreadedSimd) {';
  return {
    name: 'self-contained-wasm-threads',
    transform(code, id) {
      if (!id.replace(/\?.*$/, '').endsWith('/tfjs-backend-wasm-threaded-simd.js')) return null;
      if (code.split(anchor).length !== 2) this.error(`tfjs-backend-wasm changed: "${anchor}" is not in ${id} once`);
      return { code: code.replace(anchor, `${anchor} var _scriptDir = undefined;`), map: null };
    },
  };
}

// `base: './'` makes dist/ work from any static host or sub-path (GitHub Pages, a file share).
export default defineConfig({
  base: './',
  plugins: [svelte()],
  // Deep import used by the WGSL kernels; pre-bundled so the dev server never reloads mid-run.
  optimizeDeps: { include: ['@tensorflow/tfjs-backend-webgpu/dist/webgpu_program'] },
  // tfjs runs in the training worker, so the wasm fix goes into the worker bundle's plugins
  worker: { format: 'es', plugins: () => [selfContainedWasmThreads()] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  server: { port: 5173, strictPort: true, headers: isolation },
  preview: { port: 4173, strictPort: true, headers: isolation },
});
