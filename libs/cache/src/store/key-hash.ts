/**
 * 32-bit FNV-1a of a key, used only where an approximate identity is enough (the ghost filter).
 * Keys longer than 48 characters hash their first 16 and last 32 characters and their length:
 * keys tend to differ at the end (`ticket:123`, `/api/tickets?page=4`), and a write never pays
 * for a full scan of a long key. A collision only sends a key to the main queue early.
 */
export function hashKey(key: string): number {
  const length = key.length;
  let hash = 0x811c9dc5 ^ length;
  if (length <= 48) {
    for (let i = 0; i < length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  } else {
    for (let i = 0; i < 16; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    for (let i = length - 32; i < length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}
