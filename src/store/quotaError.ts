// Its own file so db.ts (which storage.ts builds on) can use it without an import cycle.

/**
 * Whether `e` is a "storage full" error: a DOMException named QuotaExceededError (or legacy
 * code 22, or Firefox's NS_ERROR_DOM_QUOTA_REACHED), directly or nested in `error` (a
 * transaction or request, or an abort event), `target.error` or `cause`.
 */
export function isQuotaError(e: unknown, depth = 0): boolean {
  if (e === null || typeof e !== 'object' || depth > 4) return false;
  const o = e as { name?: unknown; code?: unknown; error?: unknown; cause?: unknown; target?: unknown };
  if (o.name === 'QuotaExceededError' || o.name === 'NS_ERROR_DOM_QUOTA_REACHED') return true;
  if (typeof DOMException !== 'undefined' && e instanceof DOMException && o.code === 22) return true;
  const target = o.target as { error?: unknown } | null | undefined;
  return (
    isQuotaError(o.error, depth + 1) ||
    isQuotaError(o.cause, depth + 1) ||
    (typeof target === 'object' && target !== null && isQuotaError(target.error, depth + 1))
  );
}
