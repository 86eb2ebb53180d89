// Entry point of a demo miner's thread: installs the TypeScript loader, then runs demo-thread.ts.
// (tsx's register() in bin/kinitro.js does not reach worker threads.)
import { register } from 'tsx/esm/api';

register();
await import('./demo-thread.ts');
