// Entry point of an executor worker thread. tsx's register() in bin/kinitro.js does not reach worker
// threads, so each worker installs the TypeScript loader itself before importing the real module.
// (When the parent already runs under `--import tsx`, registering again is harmless.)
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
