// Preloaded into `stowage local` by tests (NODE_OPTIONS=--require …): on SIGUSR2, raise the fault named by
// STOWAGE_TEST_FAULT outside any handler: `throw` (an uncaught exception) or `reject` (an unhandled rejection).
process.on('SIGUSR2', () => {
  setImmediate(() => {
    if (process.env.STOWAGE_TEST_FAULT === 'reject') {
      void Promise.reject(new Error('injected unhandled rejection'));
    } else {
      throw new Error('injected uncaught exception');
    }
  });
});
