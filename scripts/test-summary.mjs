// Prints the plain closing line CI reads ("N passed, N failed") from Vitest's JSON reports. The
// projects run one after another (unit, then WebGPU in Chromium, then end-to-end) so browser-heavy
// suites never compete for the 2 cores — the e2e tests measure main-thread long tasks.
import { readFileSync, readdirSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of readdirSync('test-output').filter((f) => /^vitest-.*\.json$/.test(f))) {
  const r = JSON.parse(readFileSync(`test-output/${file}`, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
