import { pendingModule } from './stub.ts';

export const buttonModule = pendingModule('button');
