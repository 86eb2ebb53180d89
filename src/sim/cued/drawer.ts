import { pendingModule } from './stub.ts';

export const drawerOpenModule = pendingModule('drawer');
export const drawerCloseModule = pendingModule('drawer');
