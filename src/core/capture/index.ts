/** Pure capture logic: reassembly, noise filter, redaction, turn extraction. */
export type {
  CapturedExchange,
  ContentBlock,
  ConversationTurn,
  ReassembledMessage,
  ResponseError,
  TurnResult,
} from "./exchange.js";
export {
  type Classification,
  classifyBody,
  classifyRequest,
  classifyRoute,
  DEFAULT_NOISE_RULES,
  defineNoiseRules,
  type NoiseRules,
  type SideRequestMarker,
} from "./noise-filter.js";
export { redact } from "./redaction.js";
export { createSseReassembler, parseJsonResponse, type SseReassembler } from "./sse-reassembler.js";
export {
  type ExtractTurnOptions,
  extractTurn,
  MEMORY_TEXT_MAX_CHARS,
  reassembleResponse,
  TURN_TEXT_MAX_CHARS,
  turnToMemory,
} from "./turn-extractor.js";
