/**
 * A structural estimate of the V8 heap a value keeps alive, in bytes. It walks the value the way
 * V8 lays it out (64-bit tagged words, no pointer compression in Node's builds) instead of
 * measuring a serialisation: `JSON.stringify(v).length` under-counted real heap about 3x for small
 * objects and costs a full serialisation per `set`. Large collections are sampled, so the cost of
 * an estimate is bounded whatever the value's size. Calibrated against measured heap by
 * test/cache and the cache benchmark (docs/cache.md has the figures).
 */

/** Bytes of a tagged word (pointer or small integer) on 64-bit V8 without pointer compression. */
const WORD = 8;
/** JSObject header: map, properties, elements. */
const OBJECT_HEADER = 3 * WORD;
/** JSArray header (object header + length) plus the FixedArray header of its backing store. */
const ARRAY_HEADER = 4 * WORD + 2 * WORD;
/** HeapNumber: map + 64-bit double. */
const HEAP_NUMBER = 2 * WORD;
/** SeqString header: map, hash, length. */
const STRING_HEADER = 2 * WORD;
/** Typed arrays and Buffers: the view object plus the ArrayBuffer object; the bytes are added on top. */
const TYPED_ARRAY_OVERHEAD = 23 * WORD;
/** Per entry of a Map (key, value, chain) and of a Set (key, chain), with the table's spare capacity. */
const MAP_ENTRY = 4.5 * WORD;
const SET_ENTRY = 3.5 * WORD;
const COLLECTION_HEADER = 12 * WORD;
/** A Date caches its broken-down fields next to the time value. */
const DATE = 12 * WORD;
/** `{}` gets four spare in-object slots. */
const EMPTY_OBJECT = OBJECT_HEADER + 4 * WORD;
/** Integer-like keys live in a separate elements store, allocated with spare capacity (17 at least). */
const ELEMENTS_HEADER = 2 * WORD;
const MIN_ELEMENTS = 17;
/**
 * JSON.parse internalises string values of up to 10 characters, so equal short strings (statuses,
 * labels, names) share one copy while distinct ones (ids) cost a full string. Parsed payloads are
 * mostly the former: such a string counts a quarter of its size.
 */
const SHORT_STRING = 10;
const SHORT_STRING_SHARE = 0.25;

/** Collections longer than this are sampled rather than walked. */
const SAMPLE_ABOVE = 64;
const SAMPLES = 32;
/** Deeper structures are costed as their top levels. */
const MAX_DEPTH = 16;

function align(bytes: number): number {
  return (bytes + 7) & ~7;
}

/**
 * Two-byte strings (text beyond Latin-1) cost twice as much. V8 stores a string two-byte as a whole
 * once any of its characters needs it, and such text rarely has just one: four characters are
 * probed (first, quarter, middle, last), so sizing a string costs the same whatever its length.
 * Strings of up to 10 characters are not probed at all (they count a quarter as shared, below, and
 * keys that short cost little either way). A long Latin-1 string with a lone wide character in
 * between the probes is under-counted up to 2x; the byte bound's accuracy is measured on real
 * payloads (docs/cache.md).
 */
function fullStringBytes(value: string): number {
  const length = value.length;
  if (length > SHORT_STRING) {
    const last = length - 1;
    if (
      (value.charCodeAt(0) | value.charCodeAt(length >> 2) | value.charCodeAt(length >> 1) | value.charCodeAt(last)) >
      0xff
    ) {
      return align(STRING_HEADER + 2 * length);
    }
  }
  return align(STRING_HEADER + length);
}

function stringBytes(value: string): number {
  const bytes = fullStringBytes(value);
  return value.length <= SHORT_STRING ? bytes * SHORT_STRING_SHARE : bytes;
}

function numberBytes(value: number): number {
  // Small integers are stored in the tagged word itself; everything else is boxed.
  return (value | 0) === value ? 0 : HEAP_NUMBER;
}

/**
 * Objects walked per estimate at most; past it, objects cost their header only. Together with the
 * sampling of long collections this bounds an estimate's cost whatever the value. There is no
 * visited set (it tripled the cost of sizing small objects): a sub-object reachable by several
 * paths, or a cycle, is counted once per path, so such values are over- rather than under-counted.
 */
const NODE_BUDGET = 2_000;
let budget = 0;

/**
 * Estimated heap bytes of `value` (not counting the word that points at it).
 *
 * @example estimateSize({ id: 1, name: 'Ada Lovelace' }) // 32 + 40
 */
export function estimateSize(value: unknown): number {
  budget = NODE_BUDGET;
  return sizeOf(value, 0);
}

function sizeOf(value: unknown, depth: number): number {
  switch (typeof value) {
    case 'string':
      return stringBytes(value);
    case 'number':
      return numberBytes(value);
    case 'bigint':
      return align(2 * WORD + Math.ceil(value.toString(16).length / 16) * WORD);
    case 'object':
      return value === null ? 0 : objectBytes(value, depth);
    case 'function':
      return 8 * WORD;
    default:
      // booleans, undefined and symbols are shared objects: only the pointer, counted by the holder.
      return 0;
  }
}

function objectBytes(value: object, depth: number): number {
  if (depth >= MAX_DEPTH || --budget < 0) return OBJECT_HEADER;
  const next = depth + 1;
  // Plain objects first: the common case, told apart without any instanceof walk.
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null)
    return plainObjectBytes(value as Record<string, unknown>, next, true);
  if (Array.isArray(value)) return arrayBytes(value, next);
  if (ArrayBuffer.isView(value)) return TYPED_ARRAY_OVERHEAD + value.byteLength;
  if (value instanceof ArrayBuffer) return TYPED_ARRAY_OVERHEAD + value.byteLength;
  if (value instanceof Map) return mapBytes(value, next);
  if (value instanceof Set) return setBytes(value, next);
  if (value instanceof Date) return DATE;
  return plainObjectBytes(value as Record<string, unknown>, next, false);
}

function arrayBytes(array: readonly unknown[], depth: number): number {
  const length = array.length;
  let doubles = true;
  let contents = 0;
  if (length <= SAMPLE_ABOVE) {
    for (let i = 0; i < length; i++) {
      const item = array[i];
      if (typeof item !== 'number') doubles = false;
      contents += sizeOf(item, depth);
    }
  } else {
    const step = length / SAMPLES;
    let sampled = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const item = array[Math.floor(i * step)];
      if (typeof item !== 'number') doubles = false;
      sampled += sizeOf(item, depth);
    }
    contents = (sampled / SAMPLES) * length;
  }
  // An array of numbers only is stored unboxed (FixedDoubleArray): 8 bytes each and no HeapNumbers.
  if (doubles && length > 0) return ARRAY_HEADER + length * WORD;
  return ARRAY_HEADER + length * WORD + contents;
}

function plainObjectBytes(object: Record<string, unknown>, depth: number, plain: boolean): number {
  // Integer-like keys (the elements store) come first in for-in order, so the first key tells
  // whether there are any. Looking at it in a loop of its own keeps the keys out of the main loop:
  // a for-in whose body only reads `object[key]` is compiled to a field load by index from the
  // shape's enum cache, and reading the key there as well cost as much as all the rest of a flat
  // record's estimate. So the common shapes (flat records of named fields) pay one walk of their
  // values and no per-key work, with no cache to keep.
  if (!plain || startsWithIndexedKey(object)) return objectWithElementsBytes(object, depth, plain);
  let count = 0;
  let contents = 0;
  for (const key in object) {
    if (++count > SAMPLE_ABOVE) continue;
    // Flat records are the common case: their primitive fields are costed here, without a call.
    const item = object[key];
    if (typeof item === 'string') contents += stringBytes(item);
    else if (typeof item === 'number') contents += (item | 0) === item ? 0 : HEAP_NUMBER;
    else if (typeof item === 'object' && item !== null) contents += objectBytes(item, depth);
    else if (typeof item !== 'boolean' && item !== undefined && item !== null) contents += sizeOf(item, depth);
  }
  if (count === 0) return EMPTY_OBJECT;
  if (count > SAMPLE_ABOVE) return OBJECT_HEADER + count * 5 * WORD + (contents / SAMPLE_ABOVE) * count;
  return OBJECT_HEADER + count * WORD + contents;
}

function startsWithIndexedKey(object: object): boolean {
  for (const key in object) {
    const first = key.charCodeAt(0);
    return first >= 48 && first <= 57;
  }
  return false;
}

/** Objects with integer-like keys, and class instances (whose inherited properties are skipped). */
function objectWithElementsBytes(object: Record<string, unknown>, depth: number, plain: boolean): number {
  let count = 0;
  let indexed = 0;
  let contents = 0;
  // for-in lists integer-like keys (the elements store) before named ones: once a key is named,
  // no later one needs checking.
  let inElements = true;
  // for-in alone is ~5x faster than with a hasOwnProperty check; only class instances need it.
  for (const key in object) {
    if (!plain && !Object.prototype.hasOwnProperty.call(object, key)) continue;
    count++;
    if (inElements) {
      const first = key.charCodeAt(0);
      if (first >= 48 && first <= 57) indexed++;
      else inElements = false;
    }
    if (count > SAMPLE_ABOVE) continue;
    contents += sizeOf(object[key], depth);
  }
  if (count === 0) return EMPTY_OBJECT;
  const elements = indexed === 0 ? 0 : ELEMENTS_HEADER + Math.max(MIN_ELEMENTS, indexed * 1.5 + 16) * WORD;
  const named = count - indexed;
  if (count > SAMPLE_ABOVE) {
    contents = (contents / SAMPLE_ABOVE) * count;
    // Objects with this many properties usually live in dictionary mode: about five words per property.
    return OBJECT_HEADER + named * 5 * WORD + elements + contents;
  }
  return (named === 0 ? EMPTY_OBJECT : OBJECT_HEADER + named * WORD) + elements + contents;
}

function mapBytes(map: Map<unknown, unknown>, depth: number): number {
  let contents = 0;
  let visited = 0;
  for (const [key, item] of map) {
    contents += sizeOf(key, depth) + sizeOf(item, depth);
    if (++visited === SAMPLE_ABOVE) break;
  }
  if (visited > 0 && map.size > visited) contents = (contents / visited) * map.size;
  return COLLECTION_HEADER + map.size * MAP_ENTRY + contents;
}

function setBytes(set: Set<unknown>, depth: number): number {
  let contents = 0;
  let visited = 0;
  for (const item of set) {
    contents += sizeOf(item, depth);
    if (++visited === SAMPLE_ABOVE) break;
  }
  if (visited > 0 && set.size > visited) contents = (contents / visited) * set.size;
  return COLLECTION_HEADER + set.size * SET_ENTRY + contents;
}

/** Heap bytes of a string key (never shared: the cache keeps its own). */
export function keySize(key: string): number {
  return fullStringBytes(key);
}
