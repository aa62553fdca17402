#!/usr/bin/env node
// The `rmail` executable: runs the compiled CLI (built by `npm install` through `prepare`).
const { runCli } = await import('../dist/main/cli.js');
runCli();
