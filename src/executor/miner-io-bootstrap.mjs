// Entry point of a miner I/O thread (started by an executor worker): installs the TypeScript loader,
// then runs miner-io.ts. See worker-bootstrap.mjs for why each thread registers tsx itself.
import { register } from 'tsx/esm/api';

register();
await import('./miner-io.ts');
