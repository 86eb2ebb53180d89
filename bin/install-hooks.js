#!/usr/bin/env node
// `npm install` runs this (the `prepare` script): point git at the repository's hooks folder so the
// pre-commit check runs for everyone who clones. Outside a git checkout (a packed tarball, a CI that
// copied the tree) there is nothing to install, and that is not an error.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (existsSync('.git') && existsSync('.githooks/pre-commit')) {
  try {
    execFileSync('git', ['config', 'core.hooksPath', '.githooks'], { stdio: 'ignore' });
  } catch {
    // git not installed: hooks are a convenience, never a reason for an install to fail.
  }
}
