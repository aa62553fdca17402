#!/usr/bin/env node
// The `rmail` executable. CommonJS on purpose: libuv sizes its thread pool (where fsync, stat and
// file I/O run) from UV_THREADPOOL_SIZE when the pool first starts, and loading an ES module
// already starts it. So this sets the size (unless the environment chose one), then loads the
// ESM entry. A bigger pool lets concurrent deliveries' fsyncs overlap (one journal commit).
'use strict';
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '32';
import('./rmail.js').catch((err) => {
  process.stderr.write(`rmail: ${err && err.message}\n`);
  process.exitCode = 1;
});
