import { pendingModule } from './stub.ts';

export const doorModule = pendingModule('door');
