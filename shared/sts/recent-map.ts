/**
 * Puts `key` → `value` into `map` as its most recently used entry, then drops the least recently
 * used entries (a Map iterates in insertion order) until at most `maxEntries` remain.
 */
export function setMostRecent<K, V>(map: Map<K, V>, key: K, value: V, maxEntries: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > maxEntries) {
    const oldest = map.keys().next();
    if (oldest.done === true) break;
    map.delete(oldest.value);
  }
}
