import { pendingModule } from './stub.ts';

export const pegModule = pendingModule('peg');
