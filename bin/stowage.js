#!/usr/bin/env node
// `npx stowage …`: runs the TypeScript CLI (cli/main.ts) through tsx, no build step.
require('tsx/cjs/api').register();
require('../cli/main.ts')
  .main(process.argv)
  .catch((error) => {
    console.error(error);
    process.exitCode = 2;
  });
