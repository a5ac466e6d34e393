import { decodeLink, defaultSetup, encodeLink } from '../share/link';
import { configToSetup, linkSchema, setupToConfig, changedSettings } from './configKeys';
import { pipelineConfig, replaceConfig, configBlockers } from './pipelineConfig.svelte';

/**
 * The pipeline setup in the URL hash (src/share/link.ts): read once at start, then written back
 * with history.replaceState as the user edits (only non-default values). Messages are plain text.
 */
const schema = linkSchema();
const defaults = defaultSetup(schema);

export const shareLink = $state({
  /** the opened link could not be read: what was wrong (defaults are in place) */
  error: '',
  /** the link was read, but some values were replaced by defaults */
  warnings: [] as string[],
  /** the page was opened from a link holding a setup (show it with a Start button) */
  fromLink: false,
  changed: [] as string[],
  /** the current setup is too large for a link */
  tooLarge: '',
  hash: '',
});

/** Reads the setup from location.hash; never throws, never starts anything. */
export function loadFromHash(hash = location.hash): void {
  if (!hash || hash === '#') return;
  const result = decodeLink(hash, schema);
  if (!result.ok) {
    shareLink.error = result.message;
    replaceConfig(setupToConfig(result.setup));
    return;
  }
  shareLink.warnings = result.warnings;
  replaceConfig(setupToConfig(result.setup));
  shareLink.changed = changedSettings(pipelineConfig);
  shareLink.fromLink = true;
}

/** The hash for the current setup ('' for all defaults). */
export function currentHash(): string {
  if (changedSettings(pipelineConfig).length === 0) {
    shareLink.tooLarge = '';
    return '';
  }
  const r = encodeLink(configToSetup($state.snapshot(pipelineConfig)), defaults);
  if (!r.ok) {
    shareLink.tooLarge = r.message;
    return '';
  }
  shareLink.tooLarge = '';
  return r.hash;
}

/** The full share URL for the current setup. */
export function shareUrl(): string {
  const url = new URL(location.href);
  url.hash = currentHash();
  return url.toString();
}

/** Keeps the hash in step with the settings (only while they are valid). Returns a stop function. */
export function syncHash(): () => void {
  // A link pasted into the address bar of this tab (no reload): read it like an opened link.
  const onHashChange = (): void => {
    const now = location.hash === '#' ? '' : location.hash;
    if (now === shareLink.hash) return;
    shareLink.error = '';
    shareLink.warnings = [];
    shareLink.fromLink = false;
    if (now) loadFromHash(now);
    else replaceConfig(setupToConfig(defaults));
  };
  window.addEventListener('hashchange', onHashChange);
  const stop = $effect.root(() => {
    $effect(() => {
      if (configBlockers().length) return;
      const hash = currentHash();
      shareLink.hash = hash;
      const now = location.hash;
      // A link that failed to decode stays in the address bar until the user edits something.
      if (shareLink.error && now && hash === '') return;
      if ((now === '' || now === '#' ? '' : now) !== hash) {
        history.replaceState(history.state, '', hash || location.pathname + location.search);
      }
    });
  });
  return () => {
    window.removeEventListener('hashchange', onHashChange);
    stop();
  };
}

export function dismissLinkMessages(): void {
  shareLink.error = '';
  shareLink.warnings = [];
}
