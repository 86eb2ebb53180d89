import { pendingModule } from './stub.ts';

export const pushModule = pendingModule('push');
