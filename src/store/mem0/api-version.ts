/**
 * The two endpoint families of the Mem0 Platform that this backend speaks.
 *
 * v3 (default): what the official SDKs (mem0ai for Node and Python) call
 * today and the only family served by Mem0's current memory algorithm —
 * `POST /v3/memories/add/` (always asynchronous, ADD-only), hybrid
 * `POST /v3/memories/search/` and the paginated `POST /v3/memories/` list,
 * with entity ids inside `filters`.
 *
 * v2: the previous family, still served for backward compatibility —
 * `POST /v1/memories/` with `version: "v2"`, `POST /v2/memories/search/`
 * and `POST /v2/memories/`.
 *
 * Both share get/update/delete/history (`/v1/memories/{id}/...`), the bulk
 * delete (`DELETE /v1/memories/?user_id=`), events and ping.
 */
export type Mem0ApiVersion = "v2" | "v3";

export interface Mem0Endpoints {
  version: Mem0ApiVersion;
  addPath: string;
  /** Fields every add body of this family carries. */
  addExtras: Record<string, unknown>;
  searchPath: string;
  listPath: string;
}

export function endpointsFor(version: Mem0ApiVersion): Mem0Endpoints {
  if (version === "v2") {
    return {
      version,
      addPath: "/v1/memories/",
      addExtras: { version: "v2", output_format: "v1.1" },
      searchPath: "/v2/memories/search/",
      listPath: "/v2/memories/",
    };
  }
  return {
    version,
    addPath: "/v3/memories/add/",
    addExtras: {},
    searchPath: "/v3/memories/search/",
    listPath: "/v3/memories/",
  };
}

/** Mem0 caps `top_k` at 1000 and pages at 100 items. */
export const MAX_TOP_K = 1000;
export const MAX_PAGE_SIZE = 100;
