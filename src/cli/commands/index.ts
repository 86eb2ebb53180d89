/** Every CLI command, in the order `kinitro --help` lists them. Each lives in its own module. */
import type { CommandSpec } from '../command.ts';
import { startCommand } from './start.ts';
import { apiCommand } from './api.ts';
import { dbInitCommand, dbMigrateCommand, dbStatusCommand } from './db.ts';
import { listEnvsCommand } from './list-envs.ts';
import { scoreCommand } from './score.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const COMMANDS: CommandSpec<any>[] = [startCommand, apiCommand, dbInitCommand, dbStatusCommand, dbMigrateCommand, listEnvsCommand, scoreCommand];
