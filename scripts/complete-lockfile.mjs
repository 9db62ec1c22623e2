#!/usr/bin/env node
// `npm ci` checks that every optional dependency of every package has an entry in
// package-lock.json. The registry these machines use does not carry rollup's native
// packages for other platforms, so `npm install` leaves their entries out and `npm ci`
// then refuses the lockfile. This adds the missing entries, marked optional and with the
// platform each one is for (read from rollup's naming scheme), so npm skips them here
// without fetching anything. Run it after regenerating the lockfile: node scripts/complete-lockfile.mjs
import fs from 'node:fs';

const lock = JSON.parse(fs.readFileSync('package-lock.json', 'utf8'));
const rollup = lock.packages['node_modules/rollup'];
const cpus = ['arm64', 'arm', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x'];

function platformOf(name) {
  const [os, cpu, abi] = name.replace('@rollup/rollup-', '').split('-');
  if (!cpus.includes(cpu)) throw new Error(`unexpected package name ${name}`);
  const entry = { os: [os], cpu: [cpu] };
  if (os === 'linux') entry.libc = [abi?.startsWith('musl') ? 'musl' : 'glibc'];
  return entry;
}

let added = 0;
for (const [name, version] of Object.entries(rollup?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const { os, cpu, libc } = platformOf(name);
  lock.packages[key] = { version, cpu, ...(libc ? { libc } : {}), license: 'MIT', optional: true, os };
  added++;
}
const root = lock.packages[''];
const rest = Object.entries(lock.packages).filter(([k]) => k !== '').sort(([a], [b]) => a.localeCompare(b));
lock.packages = Object.fromEntries([['', root], ...rest]);
fs.writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} optional platform entries`);
