/** The page's script: progressive enhancement over server-rendered HTML (everything works without it). */
import { initConfirm, initDelete, initImport } from "./actions.js";
import { initLive } from "./live.js";
import { initKeys, initSearch } from "./search.js";

initSearch();
initKeys();
initDelete();
initConfirm();
initImport();
initLive();
document.body.dataset.ready = "1";
