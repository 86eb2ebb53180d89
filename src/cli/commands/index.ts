/** Every CLI command, in the order `kinitro --help` lists them. Each lives in its own module. */
import type { CommandSpec } from '../command.ts';
import { startCommand } from './start.ts';
import { apiCommand } from './api.ts';
import { dbInitCommand, dbMigrateCommand, dbStatusCommand } from './db.ts';
import { evalCommand } from './eval.ts';
import { executorCommand } from './executor.ts';
import { listEnvsCommand } from './list-envs.ts';
import { renderCommand } from './render.ts';
import { scoreCommand } from './score.ts';
import { tuiCommand } from './tui.ts';
import { commitCommand } from './commit.ts';
import { minersCommand } from './miners.ts';
import { weightsCommand } from './weights.ts';
import { validateCommand } from './validate.ts';
import { initMinerCommand } from './init-miner.ts';
import { minerDeployCommand, minerUploadCommand } from './miner-deploy.ts';
import { servePolicyCommand } from './serve-policy.ts';
import { envServeCommand } from './env-serve.ts';
import { datasetRecordCommand } from './dataset.ts';
import { cryptoGenerateKeypairCommand, cryptoPublishPublicKeyCommand, cryptoShowPublicKeyCommand } from './crypto.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const COMMANDS: CommandSpec<any>[] = [
  startCommand,
  apiCommand,
  dbInitCommand,
  dbStatusCommand,
  dbMigrateCommand,
  listEnvsCommand,
  evalCommand,
  executorCommand,
  validateCommand,
  commitCommand,
  minersCommand,
  weightsCommand,
  cryptoGenerateKeypairCommand,
  cryptoShowPublicKeyCommand,
  cryptoPublishPublicKeyCommand,
  renderCommand,
  scoreCommand,
  tuiCommand,
  initMinerCommand,
  minerUploadCommand,
  minerDeployCommand,
  servePolicyCommand,
  envServeCommand,
  datasetRecordCommand,
];
