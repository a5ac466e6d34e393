// Where Debian's Chromium lives and the flags that give it WebGPU through SwiftShader
// (see shared/webgpu-testing.md). `--enable-unsafe-webgpu` is the one that matters.
// One copy for the tests, the headless runner and the benchmark.
export const chromiumPath = () => process.env.CHROME_PATH || '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
