import { afterEach, expect } from 'vitest';
import { gpuErrorLog } from '../../src/engine/backend';

// WebGPU validation errors are silent by default (a rejected shader just returns zeros):
// any error during a test fails it.
afterEach(() => {
  expect(gpuErrorLog()).toEqual([]);
});
