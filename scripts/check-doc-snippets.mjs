#!/usr/bin/env node
// Type-checks every ```ts block of README.md, docs/*.md and libs/*/README.md against the built
// packages (what a user imports: `@ballast/<lib>` resolves through the workspace to dist/), each
// block as a module of its own. A block that is deliberately a fragment (a method without its
// class, one call out of context) says so on the line before it:
//
//   <!-- snippet: partial -->
//
// and is listed, not compiled. Run `npm run build` first.
//   node scripts/check-doc-snippets.mjs [--verbose]
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const PARTIAL = /<!--\s*snippet:\s*partial\s*-->/;
// Inside node_modules so that the snippets resolve packages as an app in this repository would.
const out = join(root, 'node_modules/.cache/doc-snippets');

const docs = [
  'README.md',
  ...(await readdir(join(root, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
  ...(await readdir(join(root, 'libs'))).map((lib) => `libs/${lib}/README.md`),
];

const snippets = [];
const partial = [];
for (const doc of docs) {
  let text;
  try {
    text = await readFile(join(root, doc), 'utf8');
  } catch {
    continue;
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ts\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    let prev = i - 1;
    while (prev >= 0 && lines[prev].trim() === '') prev--;
    const where = `${doc}:${start + 1}`;
    if (prev >= 0 && PARTIAL.test(lines[prev])) partial.push(where);
    else snippets.push({ doc, line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
}

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const files = new Map();
for (const [n, s] of snippets.entries()) {
  const name = `${s.doc.replace(/[/.]/g, '_')}_L${s.line}_${n}.ts`;
  // Blank lines keep the compiler's line numbers those of the document.
  const body = `${'\n'.repeat(s.line - 1)}${s.code}\n${/^\s*(import|export)\s/m.test(s.code) ? '' : 'export {};\n'}`;
  await writeFile(join(out, name), body);
  files.set(name, s);
}
await writeFile(
  join(out, 'tsconfig.json'),
  JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2023',
        lib: ['ES2023', 'ESNext.Disposable'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        types: ['node'],
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        noEmit: true,
        skipLibCheck: true,
      },
      include: ['*.ts'],
    },
    null,
    2,
  ),
);

const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', out, '--pretty', 'false'],
  {
    encoding: 'utf8',
  },
);
const failed = new Map();
for (const line of tsc.stdout.split('\n')) {
  const match = /^([^(]+)\((\d+),(\d+)\): (error TS\d+: .*)$/.exec(line);
  if (!match) continue;
  const s = files.get(relative(out, join(out, match[1])).replace(/^.*\//, ''));
  const where = s ? `${s.doc}:${match[2]}` : `${match[1]}:${match[2]}`;
  if (!failed.has(s?.doc ?? match[1])) failed.set(s?.doc ?? match[1], []);
  failed.get(s?.doc ?? match[1]).push(`${where}: ${match[4]}`);
}
for (const errors of failed.values()) for (const e of errors) console.log(e);
if (process.argv.includes('--verbose')) for (const p of partial) console.log(`partial (not compiled): ${p}`);
const failing = new Set([...failed.values()].flat().map((e) => e.replace(/:\d+: .*/, '')));
console.log(
  `doc snippets: ${snippets.length} compiled, ${[...failed.values()].flat().length} errors; ${partial.length} marked partial`,
);
if (tsc.status !== 0 && failing.size === 0) {
  process.stdout.write(tsc.stdout);
  process.stderr.write(tsc.stderr);
}
process.exit(tsc.status === 0 ? 0 : 1);
