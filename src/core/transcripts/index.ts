/** Claude Code transcripts → episodes, the same as live capture builds them. Pure. */

export {
  type TranscriptEpisode,
  type TranscriptEpisodeOptions,
  type TranscriptEpisodeStatus,
  transcriptEpisodes,
} from "./transcript-episodes.js";
export { activeChain, type HistoryMessage, historyOf } from "./transcript-history.js";
export {
  type LineResult,
  parseTranscriptLine,
  type TranscriptEntry,
  type TranscriptMessage,
} from "./transcript-line.js";
export {
  type LineProblem,
  readTranscriptLines,
  type TranscriptLine,
  type TranscriptRead,
} from "./transcript-read.js";
