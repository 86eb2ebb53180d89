// Entry point of an env-server worker thread. tsx's register() in bin/kinitro.js does not reach worker
// threads, so each worker installs the TypeScript loader itself before importing the real module.
import { register } from 'tsx/esm/api';

register();
await import('./vec-worker.ts');
