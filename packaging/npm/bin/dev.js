#!/usr/bin/env node
// `dev` from the devtasks npm package: runs the native binary that npm installed beside this
// package as @devtasks/<platform>-<arch> (one optional dependency per platform; their `os` and
// `cpu` fields make npm install only the one that fits). No postinstall, no download.
'use strict';

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const tty = require('tty');

const pkg = require('../package.json');
const platformPackage = `@devtasks/${process.platform}-${process.arch}`;
const exe = process.platform === 'win32' ? 'dev.exe' : 'dev';

function fail(lines) {
  process.stderr.write(`error: ${lines.join('\n')}\n`);
  process.exit(1);
}

function binary() {
  const published = Object.keys(pkg.optionalDependencies || {});
  if (!published.includes(platformPackage)) {
    fail([
      `dev has no prebuilt binary for ${process.platform} ${process.arch}`,
      `(there are: ${published.map((name) => name.replace('@devtasks/', '')).join(', ')}).`,
      'With a Rust toolchain, build it: cargo install devtasks',
    ]);
  }
  let path;
  try {
    path = require.resolve(`${platformPackage}/bin/${exe}`);
  } catch {
    return fail([
      `the dev binary for ${process.platform} ${process.arch} is not installed: it comes in ` +
        `${platformPackage}, an optional dependency of devtasks.`,
      'npm leaves it out with --omit=optional (or --no-optional), and a package-lock.json ' +
        'written on another platform can lack it.',
      `Install it: npm install ${platformPackage}@${pkg.version}`,
    ]);
  }
  checkIntact(path);
  return path;
}

// A damaged or replaced binary (a truncated download, an error page saved in its place) must
// not be run: the kernel refuses a file that is not an executable, and execvp then hands it
// to /bin/sh, which runs it as a script. Its size and SHA-256 were written into its package
// at release; hashing 5 MB costs a few milliseconds beside node's own start.
function checkIntact(path) {
  const { size: expectedSize, sha256: expected } = require(`${platformPackage}/package.json`).devtasks || {};
  let size = 0;
  let actual = '';
  try {
    size = fs.statSync(path).size;
    if (size === expectedSize) {
      actual = require('crypto').createHash('sha256').update(fs.readFileSync(path)).digest('hex');
    }
  } catch (error) {
    fail([`cannot read ${path}: ${error.message}`]);
  }
  if (!expected || actual !== expected) {
    fail([
      `the dev binary at ${path} is damaged or replaced (${size} bytes` +
        (expectedSize ? `, ${expectedSize} expected` : '') +
        ', not the release\'s): it will not be run.',
      `Reinstall it: npm install --force ${platformPackage}@${pkg.version}`,
    ]);
  }
}

// What a signal to this launcher means for dev. The terminal sends Ctrl+C (SIGINT) and its
// hangup (SIGHUP) to every process of the foreground group, dev included (npm exec even sends
// us a second SIGINT), and dev takes a second Ctrl+C as "force": its services get SIGKILL, no
// grace. So SIGINT is passed on only when we are not in a terminal's foreground group (a
// program's `child.kill('SIGINT')` on npx or on us), SIGHUP only when we never had a
// terminal. SIGTERM never comes from a terminal: always passed on (npm exec passes it to us).
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function procStat() {
  // The fields after the command name: state ppid pgrp session tty_nr tpgid.
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const [, , pgrp, , ttyNr, tpgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { terminal: ttyNr !== '0', foreground: ttyNr !== '0' && pgrp === tpgid };
}

function hasTerminal() {
  if (process.platform === 'linux') return procStat().terminal;
  return [0, 1, 2].some((fd) => tty.isatty(fd));
}

function inForeground() {
  if (process.platform === 'linux') return procStat().foreground;
  const ps = spawnSync('ps', ['-o', 'pgid=,tpgid=', '-p', String(process.pid)], { encoding: 'utf8' });
  const [pgid, tpgid] = (ps.stdout || '').trim().split(/\s+/);
  return ps.status === 0 ? pgid === tpgid : hasTerminal();
}

function passOn(child, terminal) {
  for (const signal of FORWARDED) {
    process.on(signal, () => {
      // Windows has no signals to pass: Ctrl+C reaches every process of the console, and
      // child.kill() there is TerminateProcess.
      if (process.platform === 'win32' || child.exitCode !== null || child.signalCode !== null) return;
      if (signal === 'SIGINT' && inForeground()) return;
      if (signal === 'SIGHUP' && terminal) return;
      child.kill(signal);
    });
  }
}

function run(path, retried) {
  const terminal = hasTerminal();
  const child = spawn(path, process.argv.slice(2), { stdio: 'inherit' });
  child.on('error', (error) => {
    // A package manager that dropped the executable bit (seen with some extractors).
    if (error.code === 'EACCES' && !retried) {
      try {
        fs.chmodSync(path, 0o755);
        return run(path, true);
      } catch {
        // reported below
      }
    }
    fail([`cannot run ${path}: ${error.message}`]);
  });
  child.on('spawn', () => passOn(child, terminal));
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal, so that a shell or npm sees what dev saw.
      for (const forwarded of FORWARDED) process.removeAllListeners(forwarded);
      process.kill(process.pid, signal);
      process.exit(128 + (os.constants.signals[signal] || 0));
    }
    process.exit(code);
  });
}

run(binary(), false);
