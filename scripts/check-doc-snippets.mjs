#!/usr/bin/env node
// Type-checks every ```ts block of README.md, docs/*.md and libs/*/README.md against the built
// packages (what a user imports: `@ballast/<lib>` resolves through the workspace to dist/), each
// block as a module of its own. What a block takes from the app around it comes from:
//
// - docs/snippets.prelude.d.ts, for every document: the app's own things the examples share
//   (a `Ticket` entity, the `AppModule`, a `dataSource` ...), as global declarations, so a block's
//   own import or declaration of the same name simply wins;
// - a prelude of the document, for every block of that document (names whose type differs from
//   one guide to the next, such as `registry`), in an HTML comment a reader does not see rendered:
//
//     <!-- snippet: prelude
//     declare const registry: import('@ballast/resilience').BreakerRegistry;
//     -->
//
// A block that cannot be compiled says why on the line before it, and is listed, not compiled:
//
//   <!-- snippet: partial (shell-like listing of calls with made-up arguments) -->
//
// Run `npm run build` first.
//   node scripts/check-doc-snippets.mjs [--verbose]
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const PARTIAL = /<!--\s*snippet:\s*partial\b\s*(.*?)\s*-->/;
const PRELUDE = /<!--\s*snippet:\s*prelude\b[^\n]*\n([\s\S]*?)-->/g;
// Inside node_modules so that the snippets resolve packages as an app in this repository would.
const out = join(root, 'node_modules/.cache/doc-snippets');

const docs = [
  'README.md',
  ...(await readdir(join(root, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
  ...(await readdir(join(root, 'libs'))).map((lib) => `libs/${lib}/README.md`),
];

const snippets = [];
const partial = [];
const preludes = new Map();
for (const doc of docs) {
  let text;
  try {
    text = await readFile(join(root, doc), 'utf8');
  } catch {
    continue;
  }
  const prelude = [...text.matchAll(PRELUDE)].map((m) => m[1].trimEnd()).join('\n');
  if (prelude) preludes.set(doc, prelude);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ts\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    let prev = i - 1;
    while (prev >= 0 && lines[prev].trim() === '') prev--;
    const where = `${doc}:${start + 1}`;
    const marker = prev >= 0 ? PARTIAL.exec(lines[prev]) : null;
    if (marker) partial.push({ where, reason: marker[1].replace(/^\(|\)$/g, '') });
    else snippets.push({ doc, line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
}

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const files = new Map();
/** Prelude declarations one per chunk (a line at column 0 and the indented lines after it), by name. */
const DECLARED =
  /^(?:declare\s+)?(?:abstract\s+)?(?:const|let|var|class|function|interface|type|enum|namespace)\s+([\w$]+)/;
/** The prelude minus what the block declares or imports itself: the block's own wins, as with globals. */
function preludeFor(doc, code) {
  const prelude = preludes.get(doc);
  if (!prelude) return [];
  const chunks = [];
  for (const line of prelude.split('\n')) {
    if (/^\S/.test(line) || chunks.length === 0) chunks.push([line]);
    else chunks.at(-1).push(line);
  }
  const owns = (name) =>
    new RegExp(
      `\\b(?:class|const|let|var|function|interface|type|enum)\\s+${name}\\b|^import\\s[^'"]*\\b${name}\\b`,
      'm',
    ).test(code);
  return chunks.flatMap((chunk) => {
    const name = DECLARED.exec(chunk[0])?.[1];
    return name !== undefined && owns(name) ? chunk.map(() => '') : chunk;
  });
}
for (const [n, s] of snippets.entries()) {
  const name = `${s.doc.replace(/[/.]/g, '_')}_L${s.line}_${n}.ts`;
  // The document's prelude, then blank lines, keep the compiler's line numbers those of the
  // document where the prelude fits above the block; `codeLine` maps them where it does not.
  const head = preludeFor(s.doc, s.code);
  const padding = Math.max(0, s.line - 1 - head.length);
  s.codeLine = head.length + padding + 1;
  const tail = /^\s*(import|export)\s/m.test(s.code) ? '' : 'export {};\n';
  const body = `${[...head, ...Array(padding).fill('')].join('\n')}${head.length + padding ? '\n' : ''}${s.code}\n${tail}`;
  await writeFile(join(out, name), body);
  files.set(name, s);
}
// ES modules, as the docs' apps are (top-level await in examples).
await writeFile(join(out, 'package.json'), '{ "type": "module" }\n');
await writeFile(join(out, 'prelude.d.ts'), await readFile(join(root, 'docs/snippets.prelude.d.ts'), 'utf8'));
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
  const at = Number(match[2]);
  const where = !s
    ? `${match[1]}:${at}`
    : at < s.codeLine
      ? `${s.doc} (its prelude, line ${at}, for the block at ${s.line})`
      : `${s.doc}:${s.line + at - s.codeLine}`;
  if (!failed.has(s?.doc ?? match[1])) failed.set(s?.doc ?? match[1], []);
  failed.get(s?.doc ?? match[1]).push(`${where}: ${match[4]}`);
}
for (const errors of failed.values()) for (const e of errors) console.log(e);
for (const p of partial) console.log(`not compiled: ${p.where}: ${p.reason || '(no reason given)'}`);
if (process.argv.includes('--verbose')) for (const [doc, p] of preludes) console.log(`prelude of ${doc}:\n${p}`);
const failing = new Set([...failed.values()].flat().map((e) => e.replace(/:\d+: .*/, '')));
const unexplained = partial.filter((p) => !p.reason).length;
console.log(
  `doc snippets: ${snippets.length} of ${snippets.length + partial.length} ts blocks compiled, ` +
    `${[...failed.values()].flat().length} errors; ${partial.length} not compiled` +
    (unexplained ? `, ${unexplained} of them without a reason` : ''),
);
if (tsc.status !== 0 && failing.size === 0) {
  process.stdout.write(tsc.stdout);
  process.stderr.write(tsc.stderr);
}
// A block left out must say why: an unexplained one fails the check like an error.
process.exit(tsc.status === 0 && unexplained === 0 ? 0 : 1);
