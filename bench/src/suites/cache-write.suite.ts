/**
 * Only the cache's write-path cases of the `cache` suite (cache.write.ts), for a quick look while
 * working on the write path: `npm run bench -- cache-write`.
 */
import type { BenchSuite } from '../harness.js';
import { writePath } from './cache.write.js';

const suite: BenchSuite = {
  name: 'cache-write',
  description: 'AsyncTTLCache write path: set with byte bounds, get-then-set Zipf mix, wrap() read-through',
  run: writePath,
};

export default suite;
