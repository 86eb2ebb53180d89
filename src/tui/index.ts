/** The terminal dashboard: read-only views of an appliance, in-process or over its API. */
export { startDashboard, type Dashboard, type DashboardOptions, type StopReason } from './dashboard.ts';
export { RemoteDashboardSource, ApiRequestError, type RemoteSourceOptions } from './remote-source.ts';
export { StoreDashboardSource, type StoreSourceOptions } from './store-source.ts';
export { FakeDashboardSource, emptySnapshot, fakeCycle, sampleSnapshot } from './fake-source.ts';
export { snapshotFromApi, type ApiBodies } from './api-snapshot.ts';
export type * from './types.ts';
