import { pendingModule } from './stub.ts';

export const pickPlaceModule = pendingModule('pick-place');
