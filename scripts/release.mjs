#!/usr/bin/env node
// The release process (see CONTRIBUTING.md): one version for all six packages.
//   node scripts/release.mjs <version>            bump, date the changelogs, refresh the lock
//   node scripts/release.mjs <version> --publish  then check and publish, core first
// Bumping sets every libs/*/package.json to <version> and the other packages' @ballast/core peer
// range to ^<version>, and turns each CHANGELOG's "unreleased" heading into "<version> — <date>".
// Publishing runs the doc-snippet check and the consumer test first, then `npm publish` per package.
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const LIBS = ['core', 'pool', 'cache', 'neural', 'resilience', 'tracker', 'memory']; // core first: the others peer on it
const [version] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!version || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) {
  console.error('usage: node scripts/release.mjs <major.minor.patch[-pre]> [--publish]');
  process.exit(2);
}

function run(cmd, args, cwd = root) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const result = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const today = new Date().toISOString().slice(0, 10);
for (const lib of LIBS) {
  const file = join(root, 'libs', lib, 'package.json');
  const pkg = JSON.parse(await readFile(file, 'utf8'));
  pkg.version = version;
  if (pkg.peerDependencies?.['@ballast/core']) pkg.peerDependencies['@ballast/core'] = `^${version}`;
  await writeFile(file, `${JSON.stringify(pkg, null, 2)}\n`);
  const changelog = join(root, 'libs', lib, 'CHANGELOG.md');
  const text = await readFile(changelog, 'utf8');
  await writeFile(changelog, text.replace(/^## (\S+) — unreleased$/m, `## ${version} — ${today}`));
}
run('npm', ['install']);

if (process.argv.includes('--publish')) {
  run('npm', ['run', 'build']);
  run(process.execPath, ['scripts/check-doc-snippets.mjs']);
  run(process.execPath, ['scripts/consumer-test.mjs', '--no-build']);
  for (const lib of LIBS) run('npm', ['publish', '--access', 'public'], join(root, 'libs', lib));
} else {
  console.log(
    `\nBumped to ${version}. Review, commit ("release ${version}"), tag v${version}, then run with --publish.`,
  );
}
