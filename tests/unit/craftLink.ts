import { deflateSync } from 'fflate';
import { base64urlEncode } from '../../src/share/base64url';

/**
 * How every share link of format version 1 starts (src/share/link.ts). Written out here, not imported:
 * links in the wild start with it, so changing it must fail the tests.
 */
export const LINK_V1_PREFIX = '#r1.';

/**
 * A version-1 link around any payload (a JSON value, or text used as is), built by hand as link.ts's
 * format says (base64url of the raw-deflated UTF-8 JSON) and bypassing encodeLink's checks: what an
 * older, newer or hostile sender could write.
 */
export function craftLink(payload: unknown): string {
  const json = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return LINK_V1_PREFIX + base64urlEncode(deflateSync(new TextEncoder().encode(json), { level: 9 }));
}
