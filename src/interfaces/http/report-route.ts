import { StoreError } from "../../domain/errors.js";
import type { ObjectStore } from "../../stores/object-store.js";
import type { HttpResponse } from "./handler.js";

// GET /report/<key> serves an object of the output store whose key lies in a
// game's or dataset's report folder, so the pages' relative links (thumbs/…,
// ../../games/…) work the same over HTTP as from disk. Nothing else of the
// store is reachable through this route.
const REPORT_KEY = /^(games|datasets)\/[^/]+\/report\/[^?#]+$/;
const FOLDER = /^(games|datasets)\/([^/]+)\/?$/;
// Pages and thumbnails are small; anything larger is not something the report wrote.
const MAX_OBJECT_BYTES = 32 * 1024 * 1024;

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  jpg: "image/jpeg",
  png: "image/png",
  svg: "image/svg+xml",
  json: "application/json",
};

const notFound = (detail: string): HttpResponse => ({ status: 404, body: { error: "not_found", detail } });

/** Answers a GET /report/… path (query string already removed) from the store. */
export function createReportRoute(store: ObjectStore): (path: string) => Promise<HttpResponse> {
  return async (path) => {
    let key: string;
    try {
      key = decodeURIComponent(path.replace(/^\/report\/?/, ""));
    } catch {
      return notFound("the path is not valid percent-encoding");
    }
    const folder = FOLDER.exec(key);
    if (folder) return { status: 302, body: { location: `/report/${folder[1]}/${folder[2]}/report/index.html` }, headers: { Location: `/report/${folder[1]}/${folder[2]}/report/index.html` } };
    if (key.endsWith("/report/")) key += "index.html";
    if (!REPORT_KEY.test(key)) {
      return notFound("reports are at /report/games/{game_id}/ and /report/datasets/{name}/ (make them with `playclips report`)");
    }
    try {
      const info = await store.stat(key);
      if (!info) return notFound(`no ${key}: run \`playclips report\` for it first`);
      if (info.size > MAX_OBJECT_BYTES) return notFound(`${key} is larger than a report file can be`);
      const chunks: Buffer[] = [];
      for await (const chunk of await store.read(key)) chunks.push(chunk as Buffer);
      const extension = key.slice(key.lastIndexOf(".") + 1).toLowerCase();
      return {
        status: 200,
        body: Buffer.concat(chunks),
        headers: {
          "Content-Type": TYPES[extension] ?? "application/octet-stream",
          "X-Content-Type-Options": "nosniff",
          // Thumbnails are named by content hash; a page changes on every report run.
          "Cache-Control": key.includes("/report/thumbs/") ? "private, max-age=31536000, immutable" : "private, no-cache",
        },
      };
    } catch (error) {
      if (error instanceof StoreError && error.code === "invalid_key") return notFound(`${JSON.stringify(key)} is not a valid object key`);
      if (error instanceof StoreError && error.code === "not_found") return notFound(`no ${key}`);
      throw error;
    }
  };
}
