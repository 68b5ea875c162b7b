// Resolve/load hooks for ts-loader.mjs: `@ballast/<lib>[/testing|/onnx]` -> libs/<lib>/src/[<sub>/]index.ts, relative
// `.js` imports -> `.ts` when only the TypeScript file exists, `.ts` files compiled by swc.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

import swc from '@swc/core';

const root = new URL('../../../', import.meta.url);

export async function resolve(specifier, context, next) {
  const lib = /^@ballast\/([a-z]+)(?:\/(testing|onnx))?$/.exec(specifier);
  if (lib)
    return { url: new URL(`libs/${lib[1]}/src/${lib[2] ? `${lib[2]}/` : ''}index.ts`, root).href, shortCircuit: true };
  if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const ts = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const source = await readFile(fileURLToPath(url), 'utf8');
  const { code } = await swc.transform(source, {
    filename: fileURLToPath(url),
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  });
  return { format: 'module', source: code, shortCircuit: true };
}

export const rootUrl = pathToFileURL(fileURLToPath(root)).href;
