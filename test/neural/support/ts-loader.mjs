// Lets a child `node` process run the TypeScript sources the way Jest does (swc, ESM), so the
// memory tests can measure a process of their own instead of Jest's:
//   node --import ./test/neural/support/ts-loader.mjs test/neural/support/soak.child.ts
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
