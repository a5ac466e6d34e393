/**
 * Cross-origin isolation where the host cannot send COOP/COEP headers (GitHub Pages, any static file
 * server): registers public/coi-sw.js, which adds them to the app's own responses, and reloads once so
 * the page comes through it. Without isolation there is no SharedArrayBuffer and tfjs-wasm runs one
 * thread; everything else works the same.
 *
 * Does nothing when the page is isolated already (vite dev and preview send the headers), outside
 * http(s) or where service workers are missing. It reloads at most once per isolation attempt (a flag in
 * sessionStorage, cleared once isolated), so a browser that ignores the headers still starts, single-threaded.
 */
const RELOADED = 'rlhf-coi-reloaded';
/** How long a fresh service worker may take to activate before the app starts without it. */
const READY_MS = 5000;

/** Resolves true when the page is about to reload through the service worker (start nothing then). */
export async function reloadForIsolation(): Promise<boolean> {
  if (crossOriginIsolated) {
    sessionStorage.removeItem(RELOADED);
    return false;
  }
  if (!isSecureContext || !('serviceWorker' in navigator) || !/^https?:$/.test(location.protocol)) return false;
  try {
    const activated = (async () => {
      await navigator.serviceWorker.register('./coi-sw.js');
      // Controlled but still not isolated: this browser does not honour the worker's headers. Run as is.
      if (navigator.serviceWorker.controller || sessionStorage.getItem(RELOADED)) return false;
      await navigator.serviceWorker.ready;
      return true;
    })();
    // A worker that never activates (its install failed, the browser blocks it) must not hold the app back.
    if (!(await Promise.race([activated, new Promise<false>((done) => setTimeout(() => done(false), READY_MS))]))) return false;
    sessionStorage.setItem(RELOADED, '1');
    location.reload();
    return true;
  } catch (e) {
    console.warn('The cross-origin isolation service worker could not be registered; wasm runs one thread.', e);
    return false;
  }
}
