/** What the page knows about its tab: hidden tabs are throttled by the browser. */
export const page = $state({
  hidden: typeof document !== 'undefined' && document.visibilityState === 'hidden',
  /** the tab was in the background while training: say so when the user comes back */
  throttled: false,
});

/** Watches the tab's visibility; `training()` tells whether a run is in progress. */
export function watchVisibility(training: () => boolean): () => void {
  const on = (): void => {
    page.hidden = document.visibilityState === 'hidden';
    if (page.hidden && training()) page.throttled = true;
  };
  document.addEventListener('visibilitychange', on);
  on();
  return () => document.removeEventListener('visibilitychange', on);
}
