#!/usr/bin/env node
// The `latchkey` command: runs the compiled CLI (built by `npm install` / `npm run build`).
import { main } from '../dist/src/cli.js';

await main();
