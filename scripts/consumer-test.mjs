#!/usr/bin/env node
// The consumer test: what a user gets from npm. Packs every library, installs the tarballs into a
// fresh NestJS 12 app in a temporary directory (with typeorm at a different patch than the repo's,
// or the lowest or highest of our peer range, no @nestjs/schedule and no onnxruntime-node), then for an ES-module and a CommonJS build of the
// same app: type-checks it with `skipLibCheck: false`, boots it against the real PostgreSQL and
// Redis, calls one endpoint per module, sends SIGTERM and expects the process to end by itself
// (nothing of ours left open) with no database connection of its own left behind. Also:
// `npm publish --dry-run` per package, one copy of each shared library, and sizes.
//
//   node scripts/consumer-test.mjs [--typeorm=lowest|highest|<x.y.z>] [--esm-only] [--offline] [--keep] [--no-build]
//     --typeorm   the app's typeorm: the lowest or highest version npm has in the peer range that
//                 @ballast/pool declares (CI runs both), or one version; default 1.1.3
//     --esm-only  skip the CommonJS build of the app (for a second run that only varies typeorm)
//     --offline   install from the npm cache only (npm --offline); the default prefers the cache
//     --keep      leave the temporary directory for inspection
//     --no-build  use the libraries' dist/ as they are (CI builds before)
//   DATABASE_URL / REDIS_URL as for `npm test` (defaults: the CI database `test`, Redis DB 0).
import { spawn, spawnSync } from 'node:child_process';
import { cp, lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

const root = fileURLToPath(new URL('..', import.meta.url));
const LIBS = ['core', 'pool', 'cache', 'neural', 'resilience', 'tracker', 'memory'];
const args = new Set(process.argv.slice(2).filter((a) => !a.includes('=')));
const option = (name) =>
  process.argv
    .find((a) => a.startsWith(`--${name}=`))
    ?.split('=')
    .slice(1)
    .join('=');
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
/** The consumer's typeorm: another patch than the repo's, so a pinned copy would show as a second one. */
const CONSUMER_TYPEORM = await consumerTypeorm(option('typeorm') ?? '1.1.3');
const SINGLE_COPY = [
  'typeorm',
  'pg',
  'ioredis',
  'undici',
  'prom-client',
  '@nestjs/core',
  '@nestjs/common',
  '@ballast/core',
];

const started = performance.now();
const timings = [];
const failures = [];
let stepStart = started;
function step(name) {
  const now = performance.now();
  if (timings.length) timings[timings.length - 1].ms = now - stepStart;
  timings.push({ name, ms: 0 });
  stepStart = now;
  console.log(`\n=== ${name}`);
}
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
  return ok;
}

function run(cmd, argv, options = {}) {
  const result = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 300_000, ...options });
  if (result.status !== 0 && !options.allowFail) {
    process.stdout.write(result.stdout ?? '');
    process.stderr.write(result.stderr ?? '');
    throw new Error(`${cmd} ${argv.join(' ')} exited with ${result.status ?? result.signal}`);
  }
  return result;
}

/**
 * The declaration files reachable from `entry` through relative imports, and the bare specifiers
 * they import: an optional peer among those breaks `skipLibCheck: false` for an app without it.
 */
async function declarationImports(entry) {
  const seen = new Set();
  const bare = new Set();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await readFile(file, 'utf8');
    for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
      if (spec.startsWith('.')) queue.push(join(file, '..', spec.replace(/\.js$/, '.d.ts')));
      else bare.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  }
  return bare;
}

/** Bytes of every file under `dir` (what `du --apparent-size` counts), symlinks not followed. */
async function sizeOf(dir) {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await sizeOf(path);
    else if (entry.isFile()) total += (await lstat(path)).size;
  }
  return total;
}

/** Every installed copy of `name` under `modules` (nested ones included). */
async function copiesOf(modules, name) {
  const found = [];
  async function walk(dir) {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name === '.bin') continue;
      const scoped = entry.name.startsWith('@');
      const children = scoped ? (await readdir(join(dir, entry.name))).map((n) => `${entry.name}/${n}`) : [entry.name];
      for (const pkg of children) {
        const path = join(dir, pkg);
        if (pkg === name) found.push(JSON.parse(await readFile(join(path, 'package.json'), 'utf8')).version);
        await walk(join(path, 'node_modules'));
      }
    }
  }
  await walk(modules);
  return found;
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function ownConnections(client) {
  const { rows } = await client.query(
    'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  return rows[0].n;
}

/** Boots `dist/main.js` of `dir`, calls the endpoints, sends SIGTERM; returns what it saw. */
async function exercise(dir, label) {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  const before = await ownConnections(admin);
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: dir,
    env: { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: redisUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: no LISTENING line in 30 s:\n${output}`)), 30_000);
    child.stdout.on('data', () => {
      const match = /LISTENING (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then(() => reject(new Error(`${label}: exited before listening:\n${output}`)));
  });
  const get = async (path) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    const text = await res.text();
    let body = text;
    try {
      body = JSON.parse(text);
    } catch {
      // /metrics is text
    }
    return { status: res.status, body };
  };
  try {
    const ready = await get('/health/ready');
    check(
      ready.status === 200 && ready.body.status === 'ok',
      `${label}: GET /health/ready -> ${ready.status} ${JSON.stringify(ready.body).slice(0, 160)}`,
    );
    const pool = await get('/probe/pool');
    check(
      pool.status === 200 && pool.body.one === 1 && pool.body.pong === 'PONG',
      `${label}: pool (SELECT 1, PING) -> ${JSON.stringify(pool.body)}`,
    );
    const cache = await get('/probe/cache');
    check(
      cache.status === 200 && cache.body.a === 7 && cache.body.b === 7 && cache.body.loads === 1,
      `${label}: cache single-flight -> ${JSON.stringify(cache.body)}`,
    );
    const neural = await get('/probe/neural');
    check(
      neural.status === 200 && JSON.stringify(neural.body.x) === '[2,4]',
      `${label}: neural predict -> ${JSON.stringify(neural.body)}`,
    );
    const resilience = await get('/probe/resilience');
    check(
      resilience.status === 200 && resilience.body.price === 42,
      `${label}: resilience decorated call -> ${JSON.stringify(resilience.body)}`,
    );
    const tracker = await get('/probe/tracker');
    check(
      tracker.status === 200 && tracker.body.open > 0,
      `${label}: tracker sees the app's resources -> ${JSON.stringify(tracker.body)}`,
    );
    const metrics = await get('/metrics');
    check(
      metrics.status === 200 && /ballast_/.test(metrics.body) && /db_client_connection_count/.test(metrics.body),
      `${label}: GET /metrics has pool and ballast metrics`,
    );
  } finally {
    child.kill('SIGTERM');
    const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), 15_000));
    const end = await Promise.race([exited, timeout]);
    if (end === 'timeout') child.kill('SIGKILL');
    const closed = /CLOSED (.*)/.exec(output)?.[1] ?? 'no CLOSED line';
    check(
      end !== 'timeout' && end.code === 0,
      `${label}: SIGTERM -> app.close(), then the process ended by itself with status 0 (${end === 'timeout' ? `still running after 15 s; active after close: ${closed}` : JSON.stringify(end)})`,
    );
    let after = await ownConnections(admin);
    for (let i = 0; i < 20 && after > before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await ownConnections(admin);
    }
    check(after <= before, `${label}: no database connection left (${before} before, ${after} after)`);
    await admin.end();
    if (/Error|error/.test(output) && failures.length) console.log(output);
  }
}

/** `lowest` / `highest`: the ends of @ballast/pool's typeorm peer range among published versions. */
async function consumerTypeorm(wanted) {
  if (wanted !== 'lowest' && wanted !== 'highest') return wanted;
  const pool = JSON.parse(await readFile(join(root, 'libs/pool/package.json'), 'utf8'));
  const range = pool.peerDependencies.typeorm;
  const found = run('npm', ['view', `typeorm@${range}`, 'version', '--json', '--prefer-offline'], { cwd: root });
  const parts = (v) => v.split('.').map(Number);
  const byVersion = (a, b) => parts(a).reduce((order, n, i) => order || n - parts(b)[i], 0);
  // Releases only: a prerelease is not what a user's range picks.
  const versions = [JSON.parse(found.stdout)]
    .flat()
    .filter((v) => !v.includes('-'))
    .sort(byVersion);
  const picked = wanted === 'lowest' ? versions[0] : versions.at(-1);
  console.log(`typeorm ${wanted} in the peer range ${range}: ${picked} (of ${versions.join(', ')})`);
  return picked;
}

const work = await mkdtemp(join(tmpdir(), 'ballast-consumer-'));
const tarballs = join(work, 'tarballs');
const installFlags = ['--no-audit', '--no-fund', args.has('--offline') ? '--offline' : '--prefer-offline'];
try {
  const rootPkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  const v = (name) => rootPkg.devDependencies[name];

  if (!args.has('--no-build')) {
    step('build');
    run('npm', ['run', 'build'], { cwd: root });
  }

  step('npm pack + npm publish --dry-run');
  await mkdir(tarballs);
  // One npm run for all six (each npm start-up costs seconds).
  const workspaces = LIBS.flatMap((lib) => ['--workspace', `libs/${lib}`]);
  const packedList = JSON.parse(
    run('npm', ['pack', '--json', '--pack-destination', tarballs, ...workspaces], { cwd: root }).stdout,
  );
  const packed = Object.fromEntries(packedList.map((info) => [info.name.replace('@ballast/', ''), info]));
  for (const lib of LIBS) {
    const info = packed[lib];
    const files = info.files.map((f) => f.path);
    check(
      !files.some((f) => f.endsWith('.spec.ts') || f.endsWith('.tsbuildinfo')),
      `${info.name}: no specs or build info in the tarball`,
    );
    check(
      ['README.md', 'LICENSE', 'CHANGELOG.md'].every((f) => files.includes(f)),
      `${info.name}: README.md, LICENSE, CHANGELOG.md packed`,
    );
    // One home for all six, the root's (CONTRIBUTING.md: "The repository URL").
    const pkg = JSON.parse(await readFile(join(root, 'libs', lib, 'package.json'), 'utf8'));
    const home = rootPkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
    check(
      pkg.repository?.url === rootPkg.repository.url &&
        pkg.repository.directory === `libs/${lib}` &&
        pkg.homepage === `${home}/blob/main/docs/${lib}.md` &&
        pkg.bugs?.url === `${home}/issues`,
      `${info.name}: repository, homepage and bugs point at the root's ${home}`,
    );
    console.log(
      `     ${info.filename}: ${(info.size / 1024).toFixed(1)} kB packed, ${(info.unpackedSize / 1024).toFixed(1)} kB unpacked, ${info.entryCount} files`,
    );
  }
  const dry = run('npm', ['publish', '--dry-run', '--tag', 'consumer-test', ...workspaces], {
    cwd: root,
    allowFail: true,
  });
  check(dry.status === 0, `npm publish --dry-run of the six packages${dry.status === 0 ? '' : `\n${dry.stderr}`}`);

  step('declarations: no optional peer imported by a main entry');
  for (const lib of LIBS) {
    const pkg = JSON.parse(await readFile(join(root, 'libs', lib, 'package.json'), 'utf8'));
    const optional = Object.keys(pkg.peerDependenciesMeta ?? {});
    const imported = await declarationImports(join(root, 'libs', lib, 'dist/index.d.ts'));
    const leaks = optional.filter((name) => imported.has(name));
    const undeclared = [...imported].filter(
      (name) =>
        !name.startsWith('node:') &&
        !pkg.dependencies?.[name] &&
        !pkg.peerDependencies?.[name] &&
        !pkg.dependencies?.[`@types/${name}`],
    );
    check(
      leaks.length === 0,
      `${pkg.name}: its types import no optional peer${leaks.length ? ` (imports ${leaks.join(', ')})` : ''}`,
    );
    check(
      undeclared.length === 0,
      `${pkg.name}: every package its types import is declared${undeclared.length ? ` (not: ${undeclared.join(', ')})` : ''}`,
    );
  }

  step('install: a Nest-only app (the baseline) and the consumer app');
  const nestDeps = {
    '@nestjs/common': v('@nestjs/common'),
    '@nestjs/core': v('@nestjs/core'),
    '@nestjs/platform-express': v('@nestjs/platform-express'),
    'reflect-metadata': v('reflect-metadata'),
    rxjs: v('rxjs'),
  };
  const baseline = join(work, 'nest-only');
  await mkdir(baseline);
  await writeFile(
    join(baseline, 'package.json'),
    JSON.stringify({ name: 'nest-only', private: true, type: 'module', dependencies: nestDeps }, null, 2),
  );
  run('npm', ['install', ...installFlags], { cwd: baseline });

  const app = join(work, 'app');
  await mkdir(app);
  const appPkg = {
    name: 'ballast-consumer',
    private: true,
    type: 'module',
    dependencies: {
      ...Object.fromEntries(LIBS.map((lib) => [`@ballast/${lib}`, `file:../tarballs/${packed[lib].filename}`])),
      ...nestDeps,
      '@nestjs/terminus': v('@nestjs/terminus'),
      typeorm: CONSUMER_TYPEORM,
      pg: v('pg'),
      ioredis: v('ioredis'),
      undici: v('undici'),
      opossum: v('opossum'),
      keyv: v('keyv'),
      'prom-client': v('prom-client'),
    },
    devDependencies: { typescript: v('typescript'), '@types/node': v('@types/node') },
  };
  await writeFile(join(app, 'package.json'), JSON.stringify(appPkg, null, 2));
  const install = run('npm', ['install', ...installFlags], { cwd: app });
  check(!/Unknown (project|user|env) config/.test(install.stderr), 'npm install: no "Unknown config" warning');
  check(
    !/install-scripts|postinstall/.test(install.stderr),
    `npm install: no install script of ours or a dependency's to approve${/install-scripts/.test(install.stderr) ? `\n${install.stderr}` : ''}`,
  );

  step('one copy of each shared library; sizes');
  const modules = join(app, 'node_modules');
  for (const name of SINGLE_COPY) {
    const copies = await copiesOf(modules, name);
    check(copies.length === 1, `one ${name}: ${copies.join(', ') || 'none'}`);
  }
  check((await copiesOf(modules, 'typeorm'))[0] === CONSUMER_TYPEORM, `typeorm is the app's ${CONSUMER_TYPEORM}`);
  check((await copiesOf(modules, 'onnxruntime-node')).length === 0, 'onnxruntime-node not installed (optional peer)');
  const nestBytes = await sizeOf(join(baseline, 'node_modules'));
  const appBytes = await sizeOf(modules);
  const typesBytes = (await sizeOf(join(modules, 'typescript'))) + (await sizeOf(join(modules, '@types')));
  const beyond = appBytes - typesBytes - nestBytes;
  console.log(
    `     node_modules: Nest only ${mb(nestBytes)}; consumer ${mb(appBytes)} (${mb(typesBytes)} of it typescript + @types)`,
  );
  check(beyond <= 60 * 1024 * 1024, `beyond Nest itself, without typescript: ${mb(beyond)} (goal <= 60 MB)`);

  for (const variant of args.has('--esm-only') ? ['esm'] : ['esm', 'cjs']) {
    const dir = variant === 'esm' ? app : join(work, 'app-cjs');
    step(`${variant}: type-check (skipLibCheck false) and build`);
    if (variant === 'cjs') {
      await mkdir(dir);
      await writeFile(
        join(dir, 'package.json'),
        JSON.stringify({ ...appPkg, name: 'ballast-consumer-cjs', type: 'commonjs' }, null, 2),
      );
      await symlink(modules, join(dir, 'node_modules'), 'dir');
    }
    await cp(join(root, 'scripts/consumer/src'), join(dir, 'src'), { recursive: true });
    const tsconfig = {
      compilerOptions: {
        target: 'ES2023',
        lib: ['ES2023'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        types: ['node'],
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck: false,
        outDir: 'dist',
        rootDir: 'src',
      },
      include: ['src'],
    };
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const tsc = run(process.execPath, [join(modules, 'typescript/bin/tsc'), '-p', '.'], { cwd: dir, allowFail: true });
    const errors = (tsc.stdout.match(/error TS\d+/g) ?? []).length;
    check(
      tsc.status === 0,
      `${variant}: tsc with skipLibCheck false, lib ES2023 (no DOM): ${errors} errors${errors ? `\n${tsc.stdout}` : ''}`,
    );

    step(`${variant}: ${variant === 'esm' ? 'import' : 'require'} of every entry point`);
    const entries = [
      ...LIBS.map((lib) => `@ballast/${lib}`),
      '@ballast/core/testing',
      '@ballast/pool/testing',
      '@ballast/neural/testing',
      '@ballast/neural/onnx',
      '@ballast/tracker/testing',
    ];
    const loader =
      variant === 'esm'
        ? `for (const e of ${JSON.stringify(entries)}) { const m = await import(e); if (!Object.keys(m).length) throw new Error(e + ' is empty'); } console.log('ok');`
        : `for (const e of ${JSON.stringify(entries)}) { const m = require(e); if (!Object.keys(m).length) throw new Error(e + ' is empty'); } console.log('ok');`;
    const file = join(dir, variant === 'esm' ? 'load-all.mjs' : 'load-all.cjs');
    await writeFile(file, loader);
    const load = run(process.execPath, [file], { cwd: dir, allowFail: true });
    check(
      load.status === 0 && load.stdout.trim() === 'ok',
      `${variant}: ${entries.length} entry points load on Node ${process.versions.node}${load.status ? `\n${load.stderr}` : ''}`,
    );

    step(`${variant}: boot against PostgreSQL and Redis, one endpoint per module, SIGTERM`);
    if (tsc.status === 0) await exercise(dir, variant);
    else check(false, `${variant}: not booted, it did not compile`);
  }
} catch (error) {
  check(false, error instanceof Error ? error.message : String(error));
} finally {
  step('done');
  if (!args.has('--keep')) await rm(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}

console.log('\nSteps:');
for (const { name, ms } of timings.slice(0, -1)) console.log(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${name}`);
console.log(
  `Consumer test: ${failures.length ? `${failures.length} FAILED` : 'passed'} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
process.exit(failures.length ? 1 : 0);
