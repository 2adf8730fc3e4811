import { createHash } from "node:crypto";
import { html, trustedHtml, type Html } from "./html.js";
import { PAGE_CSS } from "./page-style.js";

export interface PageParts {
  title: string;
  /** The dark bar at the top: title, status, when. */
  header: Html;
  body: Html;
  /** A constant script of this module (never built from data). */
  script?: string;
}

function sha256(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/**
 * A whole, self-contained page: style and script inline, no other origin.
 * The Content-Security-Policy allows only this page's own style and script
 * (by hash) and images and clips beside it, so even a value that slipped
 * past escaping could neither run code nor fetch anything from the network.
 */
export function renderPage(parts: PageParts): string {
  const policy = [
    "default-src 'none'",
    `style-src ${sha256(PAGE_CSS)}`,
    `script-src ${parts.script ? sha256(parts.script) : "'none'"}`,
    "img-src 'self' data:",
    "media-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  const doc = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${policy}">
<meta name="referrer" content="no-referrer">
<title>${parts.title}</title>
<link rel="icon" href="data:,">
<style>${trustedHtml(PAGE_CSS)}</style>
</head>
<body>
<header class="top">${parts.header}</header>
<main>
${parts.body}
</main>
${parts.script ? html`<script>${trustedHtml(parts.script)}</script>` : ""}
</body>
</html>
`;
  return doc.text;
}
