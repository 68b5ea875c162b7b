#!/usr/bin/env node
// The registry these machines reach serves only the platform packages they can run (linux), so npm
// cannot write lock entries for the other platforms' optional binaries (@swc/core-darwin-arm64 ...)
// and `npm ci` then refuses the lock as out of sync. This adds those entries, marked optional with
// the os/cpu their names state, so `npm ci` skips them here and still knows them. Run it after any
// `npm install` that changes the lock: `node scripts/complete-lockfile.mjs`.
import { readFile, writeFile } from 'node:fs/promises';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(await readFile(path, 'utf8'));
const packages = lock.packages;

const OS = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openharmony', 'sunos', 'aix', 'netbsd', 'openbsd'];
const CPU = {
  x64: 'x64',
  arm64: 'arm64',
  ia32: 'ia32',
  arm: 'arm',
  ppc64: 'ppc64',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
};

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.map((p) => CPU[p]).find(Boolean);
  const libc = parts.some((p) => p.startsWith('musl'))
    ? 'musl'
    : parts.some((p) => p === 'gnu' || p.startsWith('gnueabi') || p === 'glibc')
      ? 'glibc'
      : undefined;
  return { os, cpu, libc };
}

/** Where npm would look for `dep` required by the package at `from`: nested first, then hoisted. */
function resolves(from, dep) {
  for (let dir = from; ;) {
    if (packages[`${dir ? `${dir}/` : ''}node_modules/${dep}`]) return true;
    if (!dir) return false;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut === -1 ? '' : dir.slice(0, cut);
  }
}

let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    if (resolves(location, dep)) continue;
    const { os, cpu, libc } = platformOf(dep);
    const exact = String(version).replace(/^[\^~=]/, '');
    // Only platform binaries pinned to one version; anything else is npm's to resolve.
    if ((!os && !cpu) || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(exact)) continue;
    packages[`node_modules/${dep}`] = {
      version: exact,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...(os ? { os: [os] } : {}),
      ...(cpu ? { cpu: [cpu] } : {}),
      ...(libc ? { libc: [libc] } : {}),
    };
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
lock.packages = sorted;
await writeFile(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} platform entries`);
