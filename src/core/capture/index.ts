/** Pure capture logic: reassembly, noise filter, redaction, exchange → episode. */
export type { CapturedExchange, ContentBlock, ReassembledMessage, ResponseError } from "./exchange.js";
export {
  type ExchangeResult,
  type InterpretOptions,
  interpretExchange,
  SUBAGENT_HEADER,
} from "./exchange-episode.js";
export { type ConversationTurn, isConversationTurn, turnToMemory } from "./legacy-turn.js";
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
export { describeRedactions, type RedactedText, redactMemoryText } from "./redaction-report.js";
export { numericUsage, reassembleResponse } from "./reply.js";
export { createSseReassembler, parseJsonResponse, type SseReassembler } from "./sse-reassembler.js";
