/**
 * Puts `key` → `value` into `map` as its most recently used entry, then drops the least recently
 * used entries (a Map iterates in insertion order) until at most `maxEntries` remain.
 *
 * The oldest entry is found with an iterator kept per map rather than a new `map.keys()` each time:
 * V8 leaves a deleted entry as a hole until the table is rehashed, and a new iterator walks every
 * hole before the first live entry, so with the map full and entries evicted from the front, each
 * eviction would cost time in proportion to the evictions since the last rehash (tens of µs at
 * 10,000 entries). A kept iterator has already passed them. It stays correct because a Map iterator
 * is live: everything before it was evicted or moved to the end, and entries added later come after it.
 */
const cursors = new WeakMap<Map<unknown, unknown>, Iterator<unknown>>();

export function setMostRecent<K, V>(map: Map<K, V>, key: K, value: V, maxEntries: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > maxEntries) {
    const oldest = nextOldest(map);
    if (oldest.done === true) break;
    map.delete(oldest.value);
  }
}

function nextOldest<K, V>(map: Map<K, V>): IteratorResult<K> {
  const cursor = cursors.get(map) as Iterator<K> | undefined;
  const next = cursor?.next();
  if (next !== undefined && next.done !== true) return next;
  const fresh = map.keys();
  cursors.set(map, fresh);
  return fresh.next();
}
