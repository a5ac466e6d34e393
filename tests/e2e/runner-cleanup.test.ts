import { describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

/**
 * `npm run pipeline` stops its preview server and browser on every exit path: a run that fails
 * after the server started (here an unknown --set key, refused once the page is up) leaves the
 * port free, so the next run does not fail on a busy port; a run that finds its port taken says so
 * and exits; a run stopped by SIGTERM mid-stage (what `kill` and CI's timeout send) closes both too.
 * Uses port $E2E_PORT + 2 (4175 by default).
 */
const PORT = (Number(process.env.E2E_PORT) || 4173) + 2;

/** Runs the runner; `onStdout` sees its output as it comes (and may signal the child). */
function runPipeline(
  args: string[],
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/pipeline.mjs', ...args], {
      env: { ...process.env, RUNNER_PORT: String(PORT) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout, child);
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
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

  test('a port already taken: the runner says so and exits, leaving nothing running', async () => {
    const holder = createServer().listen(PORT, '127.0.0.1');
    await new Promise((done) => holder.once('listening', done));
    try {
      const r = await runPipeline(['--backend', 'wasm', '--preset', 'micro']);
      expect(r.stderr).toMatch(/vite preview exited \(1\); is port \d+ in use\?/);
      expect(r.code).toBe(2);
    } finally {
      await new Promise((done) => holder.close(done));
    }
    expect(await listening(PORT)).toBe(false);
  });

  test('SIGTERM mid-stage: the runner cleans up (browser, then preview server) and exits 130', async () => {
    let sent = false;
    const r = await runPipeline(['--backend', 'wasm', '--preset', 'micro'], (out, child) => {
      if (!sent && /pretrain\s+running/.test(out)) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(await listening(PORT)).toBe(false);
  });
});
