/**
 * For a batch applied to a versioned replica in one statement: the newest state of
 * each row (ON CONFLICT may not touch a row twice), in id order, so that two
 * batches lock their rows in the same order.
 */
export function newestById<T extends { id: string; version: number }>(states: readonly T[]): T[] {
  const newest = new Map<string, T>();
  for (const state of states) {
    const held = newest.get(state.id);
    if (!held || held.version < state.version) newest.set(state.id, state);
  }
  return [...newest.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
