/**
 * Escaping for every sink a decision is written to. Every string in a decision may come from a
 * gate (test names, messages, reasons, versions, branch names) and is untrusted: in each sink it
 * must show as the text it is and never act as markup or as a command. One function per sink's
 * rules; each is applied after `printable` has made control characters visible.
 */
import { printable } from '../util/printable.js';

const HTML_ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML element content and (double- or single-quoted) attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITY[c]!);
}

/**
 * Text inside GitHub-flavoured Markdown (prose, table cells, and between inline HTML tags such as
 * `<code>`): HTML-significant characters become entities, `|` an entity (so it never splits a
 * table cell), every other ASCII punctuation character is backslash-escaped (no emphasis, links,
 * images, headings, lists or code spans can start), and a line break becomes a space (a cell or
 * an item stays on its line). What a reader sees is exactly the text.
 */
export function escapeMarkdown(text: string, opts: { code?: boolean } = {}): string {
  const one = opts.code ? printable(text) : noReferences(printable(text));
  let out = '';
  for (const ch of one) {
    if (ch in HTML_ENTITY) out += HTML_ENTITY[ch];
    else if (ch === '|') out += '&#124;';
    else if (/[!#$%()*+,\-./:;=?@[\\\]^_`{}~]/.test(ch)) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

/**
 * In prose GitHub turns `@name` into a mention (a notification, in a pull-request comment) and
 * `#123` / `owner/repo#123` into a cross-reference (a backlink on that issue). A word joiner
 * (U+2060, invisible) after the `@` or `#` keeps the text as it reads and links nothing. Code is
 * never linked, so ids in `<code>` keep their exact characters.
 */
function noReferences(text: string): string {
  return text.replace(/([@#])(?=[A-Za-z0-9_])/g, '$1\u2060');
}

/**
 * Untrusted text as inline code in GitHub-flavoured Markdown. Inside `<code>` GitHub neither
 * links `@mentions` nor `#123` references (both would notify people or cross-link other
 * repositories from a pull-request comment), and the content is escaped as above.
 */
export function mdCode(text: string): string {
  return text === '' ? '' : `<code>${escapeMarkdown(text, { code: true })}</code>`;
}

/**
 * Several lines of untrusted text (a failure message, a log tail) as a preformatted block. An
 * HTML `<pre>` block in Markdown ends only at `</pre>`, which the escaped text cannot contain;
 * inside it nothing is Markdown, nothing is linked or mentioned.
 */
export function mdPre(text: string): string {
  const body = printable(text, { multiline: true }).replace(/\t/g, '  ');
  return `<pre>${escapeHtml(body).replace(/\n/g, '&#10;')}</pre>`;
}

/** Characters XML 1.0 does not allow at all (even as references): most C0 controls, lone surrogates, U+FFFE/U+FFFF. */
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text for XML element content and double-quoted attribute values. */
export function escapeXml(text: string, opts: { multiline?: boolean } = {}): string {
  const safe = printable(text, opts).replace(XML_INVALID, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  let out = safe.replace(/[&<>"']/g, (c) => (c === "'" ? '&apos;' : HTML_ENTITY[c]!));
  // In an attribute a literal newline or tab would be normalised to a space by the parser.
  if (!opts.multiline) out = out.replace(/\t/g, '&#9;');
  return out.replace(/\r/g, '&#13;');
}

/**
 * GitHub Actions workflow commands (`::error file=…,title=…::message`), escaped as the runner
 * unescapes them: in the data `%` → `%25`, CR → `%0D`, LF → `%0A`; in a property also `:` → `%3A`
 * and `,` → `%2C`. The message can hold newlines (the runner shows them); a property cannot.
 */
export function escapeGithubData(text: string): string {
  return printable(text, { multiline: true }).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeGithubProperty(text: string): string {
  return printable(text).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * Azure Pipelines logging commands (`##vso[area.action key=value;…]message`), escaped as the agent
 * unescapes them: `%` → `%AZP25`, CR → `%0D`, LF → `%0A`, and in properties also `;` → `%3B` and
 * `]` → `%5D`. A command is one line: nothing a gate wrote can end it and start another.
 */
export function escapeVsoData(text: string): string {
  return printable(text, { multiline: true }).replace(/%/g, '%AZP25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeVsoProperty(text: string): string {
  return escapeVsoData(printable(text)).replace(/;/g, '%3B').replace(/\]/g, '%5D');
}

/**
 * Slack `mrkdwn` text: `&`, `<` and `>` are the only characters Slack requires escaped (they
 * start `<!channel>`, `<@U123>` and `<url|label>` control sequences). Untrusted text goes into a
 * code span (`slackCode`) whose own backticks are replaced by a look-alike, so no `*bold*`,
 * `_italic_` or `~strike~` applies inside it either.
 */
export function escapeSlack(text: string): string {
  return printable(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackCode(text: string): string {
  const t = escapeSlack(text).replace(/`/g, 'ˋ');
  return t === '' ? '' : `\`${t}\``;
}
