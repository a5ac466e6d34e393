// Cross-origin isolation on static hosts that cannot send headers (GitHub Pages): this service worker adds
// COOP + COEP to the app's own responses, so the page gets SharedArrayBuffer and tfjs-wasm its threads.
// src/coi.ts registers it only when the page is not isolated already (vite dev and preview send the headers)
// and reloads once. Only same-origin GETs pass through it: IndexedDB, blob: downloads and the workers the
// page creates from blobs never reach it; the .wasm files keep their Content-Type (streaming compile).
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  // Chrome rejects these when a service worker fetches them (a devtools quirk): leave them to the browser
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(
    fetch(request).then((response) => {
      if (response.status === 0 || response.type === 'opaqueredirect') return response;
      const headers = new Headers(response.headers);
      headers.set('Cross-Origin-Opener-Policy', 'same-origin');
      headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }),
  );
});
