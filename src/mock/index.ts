/**
 * The built-in mock gateway: Istio ingress + KServe + vLLM, imitated. Stands alone (node
 * built-ins only) so `servebench mock`, embedded scenarios and tests can all start it.
 */
export {
  mockConfigFrom,
  MOCK_DEFAULTS,
  type MockConfig,
  type MockDeployment,
  type MockFaults,
  type MockLlmConfig,
  type ResolvedMockConfig,
  type ResolvedMockLlmConfig,
  type ServiceTimeConfig,
} from './config.js';
export { MockConfigError, type MockConfigProblem } from './config-check.js';
export { startMock, type MockServer, type MockListenOptions } from './server.js';
export { hostFor } from './routing.js';
export type { MockStats } from './stats.js';
export { startMockInThread, threadEntryPath } from './client.js';
