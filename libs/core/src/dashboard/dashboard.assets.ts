import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let cached: { script: string; css: string } | undefined;

/**
 * uPlot's browser build and stylesheet, read once from the installed `uplot` package (a
 * dependency of @ballast/core), so the dashboard needs no CDN and works offline.
 */
export function uplotAssets(): { script: string; css: string } {
  if (!cached) {
    const dir = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
    cached = {
      script: readFileSync(join(dir, 'dist', 'uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(join(dir, 'dist', 'uPlot.min.css'), 'utf8'),
    };
  }
  return cached;
}
