import { decodeLink } from '../share/link';
import { defaultSetup, type LinkDataset, type LinkForkedFrom } from '../share/linkSchema';
import { shareLinkFor, type ShareLink } from '../share/shareDecision';
import { configToSetup, linkSchema, setupToConfig, changedSettings } from './configKeys';
import { pipelineConfig, replaceConfig, configBlockers } from './pipelineConfig.svelte';
import { ignoreLinkDataset, linkDataset, offerLinkDataset, sharedDataset } from './linkDataset.svelte';
import { forkState, leaveFork } from './fork.svelte';

/**
 * The pipeline setup in the URL hash (src/share/link.ts): read once at start, then written back
 * with history.replaceState as the user edits (only non-default values). The share button's link
 * also carries the user's own dataset when it fits (src/share/shareDecision.ts); the address bar
 * carries an opened link's dataset only while it waits for the user's answer, so a reload keeps
 * the offer. Messages are plain text.
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
  /** the opened link's setup was the sender's fork of a saved run (it runs from scratch here) */
  forkedFrom: null as LinkForkedFrom | null,
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
    ignoreLinkDataset();
    return;
  }
  shareLink.warnings = result.warnings;
  shareLink.forkedFrom = result.setup.forkedFrom ?? null;
  replaceConfig(setupToConfig(result.setup));
  offerLinkDataset(result.setup.task, result.setup.dataset);
  shareLink.changed = changedSettings(pipelineConfig);
  shareLink.fromLink = true;
}

/** The page's URL without its hash: its length counts against the link size limit. */
const baseUrl = (): string => location.href.replace(/#.*$/, '');

function linkFor(dataset: LinkDataset | null, forkedFrom: LinkForkedFrom | null = null): ShareLink {
  const setup = configToSetup($state.snapshot(pipelineConfig));
  if (forkedFrom) setup.forkedFrom = { ...forkedFrom };
  return shareLinkFor(setup, defaults, dataset ? ($state.snapshot(dataset) as LinkDataset) : null, baseUrl().length);
}

/** The address bar's hash for the current setup ('' for all defaults), with a pending link dataset. */
function currentHash(): string {
  const r = linkFor(linkDataset.pending?.dataset ?? null);
  shareLink.tooLarge = r.ok ? '' : r.message;
  return r.ok ? r.hash : '';
}

/**
 * The share URL: the current setup, plus the user's dataset that a run with it trains on when
 * the whole URL stays within the limit (`dataset` says whether it went in or was too large). While
 * the settings are a re-run of a saved run, the link says which run and stage (informational: the
 * setup is complete, and runs from scratch where that run's checkpoints are not).
 */
export function shareUrl(): { url: string } & ShareLink {
  const r = linkFor(sharedDataset(pipelineConfig), forkState.from);
  shareLink.tooLarge = r.ok ? '' : r.message;
  return { ...r, url: baseUrl() + (r.ok ? r.hash : '') };
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
    shareLink.forkedFrom = null;
    leaveFork(); // the link's settings replace the re-run's
    if (now) loadFromHash(now);
    else {
      replaceConfig(setupToConfig(defaults));
      ignoreLinkDataset();
    }
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
