import { afterEach, expect } from 'vitest';
import { onGpuError } from '../../src/engine/backend';
import { setTuning, tuning } from '../../src/kernels/tuning';

// WebGPU validation errors are silent by default (a rejected shader just returns zeros):
// any error during a test fails it (and every later one: the device may be in a bad state).
const gpuErrors: string[] = [];
onGpuError((message) => {
  gpuErrors.push(message);
  console.error(message);
});

// The switches as the app runs with them, put back after every test (tests flip them to reach each path).
const defaults = { ...tuning };

afterEach(() => {
  setTuning(defaults);
  expect(gpuErrors).toEqual([]);
});
