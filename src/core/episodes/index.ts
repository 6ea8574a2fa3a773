/** Episodes: the unit of captured memory, built alike from proxy traffic and transcripts. */

export { displayPath } from "./display-path.js";
export { abandonEpisode, idleReason, MOVED_ON_REASON } from "./episode-abandon.js";
export {
  ANSWER_MAX_CHARS,
  addUsage,
  buildEpisode,
  type EpisodeInput,
  episodeKey,
  episodeStart,
  incompleteEpisodeKey,
  WORDS_MAX_CHARS,
} from "./episode-builder.js";
export { EPISODE_KIND, episodeText, episodeToMemory, TRACE_LINES_MAX, traceLines } from "./episode-memory.js";
export { hasToolResults, isPersonMessage, personWords, RECALL_HEADING } from "./person-words.js";
export { firstLine, isRecallTool, mcpToolName, traceCall } from "./trace.js";
export type {
  ApiMessage,
  Episode,
  EpisodeFacts,
  EpisodeReply,
  EpisodeSource,
  TraceStep,
} from "./types.js";
export { ENDING_STOP_REASONS } from "./types.js";
