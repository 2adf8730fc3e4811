// Every value interpolated into a page is escaped unless it is already Html,
// so a plays-table value like `<img src=x onerror=alert(1)>` can only ever
// render as text. Trusted markup is built with `html` itself, never by
// concatenating strings.

const HTML_BRAND: unique symbol = Symbol("html");

/** Markup that is safe to insert as is: made only by `html` or `trustedHtml`. */
export interface Html {
  readonly [HTML_BRAND]: true;
  readonly text: string;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe for element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** For the page's own constant CSS, script and SVG paths: never for data. */
export function trustedHtml(text: string): Html {
  return { [HTML_BRAND]: true, text };
}

function isHtml(value: unknown): value is Html {
  return typeof value === "object" && value !== null && HTML_BRAND in value;
}

function render(value: unknown): string {
  if (value === null || value === undefined || value === false) return "";
  if (isHtml(value)) return value.text;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

/** Tagged template: interpolated values are escaped; Html values and arrays of them are inserted as they are. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? "");
  });
  return trustedHtml(out);
}

/**
 * JSON for an inline <script type="application/json"> block: `<` is escaped
 * so no value can close the script element, whatever it holds.
 */
export function jsonScript(value: unknown): Html {
  return trustedHtml(JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029"));
}
