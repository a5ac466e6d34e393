import { describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';

/**
 * `npm run pipeline` stops its preview server and browser on every exit path: a run that fails
 * after the server started (here an unknown --set key, refused once the page is up) leaves the
 * port free, so the next run does not fail on a busy port. Uses port $E2E_PORT + 2 (4175 by default).
 */
const PORT = (Number(process.env.E2E_PORT) || 4173) + 2;

function runPipeline(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/pipeline.mjs', ...args], {
      env: { ...process.env, RUNNER_PORT: String(PORT) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

/** Does anything still accept connections on the port (IPv4 or IPv6 localhost)? */
async function listening(port: number): Promise<boolean> {
  const tryHost = (host: string) =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ port, host });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
  return (await tryHost('127.0.0.1')) || (await tryHost('::1'));
}

describe('the headless runner', () => {
  test('a failed run frees its port: a second run fails the same way, not on a busy port', async () => {
    expect(await listening(PORT)).toBe(false);
    for (let run = 0; run < 2; run++) {
      const r = await runPipeline(['--backend', 'wasm', '--set', 'bogus.key=1']);
      expect(r.stderr).toMatch(/error: unknown setting "bogus\.key"/);
      expect(r.stderr).not.toMatch(/vite preview exited/);
      expect(r.code).toBe(2);
      expect(await listening(PORT)).toBe(false);
    }
  });
});
