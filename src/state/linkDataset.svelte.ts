import type { PipelineConfig } from '../rlhf/config';
import type { LinkDataset } from '../share/link';
import { addMissingRows } from '../store/datasets';
import { datasets, loadDatasets } from './datasets.svelte';
import { database, refreshStorage, reportWriteError, storage } from './storage.svelte';
import { userDataForRun, userLabels } from './userLabels.svelte';
import { errorMessage } from '../util/errorMessage';

/**
 * A dataset that came with an opened share link. It is only shown (with its counts) until the
 * user accepts it — with "Add to my datasets" or by pressing Start — and then it is ADDED to
 * their datasets for the link's task (rows they already have are skipped, nothing is replaced).
 * Messages are plain text.
 */
export const linkDataset = $state({
  /** the link's dataset waiting for the user's yes or no */
  pending: null as { task: string; dataset: LinkDataset } | null,
  /** outcome of the last accept */
  message: '',
  busy: false,
});

const datasetCounts = (d: LinkDataset | null | undefined): { demonstrations: number; rankings: number } => ({
  demonstrations: d?.demonstrations?.length ?? 0,
  rankings: d?.rankings?.length ?? 0,
});

/** "3 demonstrations and 1 ranking" */
export function countsText(d: LinkDataset | null | undefined): string {
  const n = datasetCounts(d);
  return `${n.demonstrations} demonstration${n.demonstrations === 1 ? '' : 's'} and ${n.rankings} ranking${n.rankings === 1 ? '' : 's'}`;
}

export function offerLinkDataset(task: string, dataset: LinkDataset | undefined): void {
  linkDataset.message = '';
  const n = datasetCounts(dataset);
  linkDataset.pending = dataset && n.demonstrations + n.rankings > 0 ? { task, dataset } : null;
}

export function ignoreLinkDataset(): void {
  linkDataset.pending = null;
  linkDataset.message = '';
}

/**
 * Adds the pending rows to the user's datasets (one transaction) and has runs use them as the
 * sender's run did. Returns false when nothing could be saved (the offer stays, with the reason).
 */
export async function acceptLinkDataset(): Promise<boolean> {
  const offer = linkDataset.pending;
  if (!offer || linkDataset.busy) return !offer;
  linkDataset.busy = true;
  try {
    const db = await database();
    if (!db) {
      linkDataset.message =
        `The link’s dataset could not be saved: ${storage.error || 'saving is unavailable in this browser'}. ` + 'Ignore it to start without it.';
      return false;
    }
    let added: Awaited<ReturnType<typeof addMissingRows>>;
    try {
      added = await addMissingRows(db, offer.task, { demonstrations: offer.dataset.demonstrations, rankings: offer.dataset.rankings }, { source: 'import' });
    } catch (e) {
      reportWriteError('the link’s dataset', e);
      linkDataset.message = `The link’s dataset could not be saved (${errorMessage(e)}); your datasets are unchanged.`;
      return false;
    }
    // The sender's run trained on these rows; so does the next run here, unless the user chose otherwise.
    if (userLabels.mode === 'off') userLabels.mode = offer.dataset.mode ?? 'mix';
    const already = added.skipped ? ` (${added.skipped} you already had were skipped)` : '';
    linkDataset.message =
      `Added ${added.demonstrations} demonstration${added.demonstrations === 1 ? '' : 's'} and ${added.rankings} ranking${added.rankings === 1 ? '' : 's'} ` +
      `from the link to your ${offer.task} datasets${already}. Nothing was replaced.`;
    linkDataset.pending = null;
    if (datasets.task === offer.task) await loadDatasets(offer.task);
    void refreshStorage();
    return true;
  } finally {
    linkDataset.busy = false;
  }
}

/** The user's dataset a run with `cfg` trains on, as a share link carries it (null: none). */
export function sharedDataset(cfg: PipelineConfig): LinkDataset | null {
  const user = userDataForRun(cfg);
  if (!user) return null;
  const { demonstrations, rankings, mode } = user.data;
  return { ...(demonstrations.length ? { demonstrations } : {}), ...(rankings.length ? { rankings } : {}), mode };
}
