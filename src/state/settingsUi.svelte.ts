/** Which settings groups are unfolded (the stage map's "Settings" buttons open one). */
export const openGroups = $state<Record<string, boolean>>({ general: true });

export function showGroup(id: string): void {
  openGroups[id] = true;
  queueMicrotask(() => {
    const el = document.querySelector<HTMLElement>(`[data-testid="settings-group-${id}"] > summary`);
    el?.scrollIntoView({ behavior: 'smooth', block: 'start' });
    el?.focus();
  });
}
