export { SseTokenParser, MAX_EVENT_BYTES } from './sse.js';
export type { StreamObserver, StreamErrorClass, SseTokenParserOptions } from './sse.js';
export { recordItl, spreadItl } from './itl.js';
export { JsonBodyCollector, checkPredictResponse, parseCompletionResponse, errorMessageOf } from './json.js';
export type { CompletionResult } from './json.js';
export { ResponseState, responseHandlerFor } from './response.js';
export type { ResponseHandler, RequestKind } from './response.js';
