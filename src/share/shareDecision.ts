import { encodeLink, type LinkDataset, type RunSetup } from './link';

/**
 * What goes into a share link: the setup always, the user's dataset only when the whole URL then
 * stays within {@link MAX_URL_CHARS}. Pure (no DOM): the page passes the length of its URL
 * without the hash.
 *
 * Why 8 000 characters: browsers take far longer URLs, but chat apps, mail clients and URL
 * shorteners often cut or refuse them beyond a few thousand; past this limit a file travels
 * better than a link.
 */
const MAX_URL_CHARS = 8000;

export type ShareLink =
  | {
      ok: true;
      /** '' when the setup is all defaults and there is no dataset to carry */
      hash: string;
      /** 'included': the dataset is in the link; 'too-large': it was left out (settings only) */
      dataset: 'none' | 'included' | 'too-large';
      /** the URL length the dataset would have needed (for 'too-large') */
      neededChars?: number;
      limit: number;
    }
  | { ok: false; message: string };

const rowsOf = (d: LinkDataset | null | undefined): number => (d?.demonstrations?.length ?? 0) + (d?.rankings?.length ?? 0);

/** Does the setup equal the defaults (so a link needs no hash at all)? */
function isDefaultSetup(setup: RunSetup, defaults: RunSetup): boolean {
  if (setup.task !== defaults.task || setup.preset !== defaults.preset || setup.seed !== defaults.seed) return false;
  return Object.keys(setup.config).every((k) => Object.hasOwn(defaults.config, k) && defaults.config[k] === setup.config[k]);
}

/** The share link's hash for `setup` (+ `dataset` when it fits), given the URL length before the hash. */
export function shareLinkFor(setup: RunSetup, defaults: RunSetup, dataset: LinkDataset | null, baseUrlChars: number, maxUrlChars = MAX_URL_CHARS): ShareLink {
  const limit = maxUrlChars - baseUrlChars;
  let neededChars: number | undefined;
  if (rowsOf(dataset) > 0) {
    const r = encodeLink({ ...setup, dataset: dataset! }, defaults, { maxChars: limit });
    if (r.ok) return { ok: true, hash: r.hash, dataset: 'included', limit: maxUrlChars };
    if (r.reason === 'invalid') return { ok: false, message: `Your dataset could not be put into a link: ${r.message}.` };
    neededChars = baseUrlChars + r.length;
  }
  const tooLarge = neededChars !== undefined;
  if (!setup.forkedFrom && isDefaultSetup(setup, defaults))
    return { ok: true, hash: '', dataset: tooLarge ? 'too-large' : 'none', neededChars, limit: maxUrlChars };
  const r = encodeLink(setup, defaults, { maxChars: limit });
  if (!r.ok) return { ok: false, message: r.message };
  return { ok: true, hash: r.hash, dataset: tooLarge ? 'too-large' : 'none', neededChars, limit: maxUrlChars };
}
