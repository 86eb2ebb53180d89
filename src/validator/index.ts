/** The validator's public surface. */
export { Validator, prepareWeightVector, type ValidatorOptions, type ValidatorStatus, type TickOutcome } from './validator.ts';
export { httpWeightsSource, checkBackendHealth, WeightsResponseSchema, BackendError, type WeightsResponse, type WeightsSource } from './weights-source.ts';
