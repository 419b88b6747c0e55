/**
 * `${version}`, `${git.sha}`, `${git.branch}`, `${run.dir}`, `${gate}`, `${env.NAME}` in commands,
 * URLs and paths. Values never run as code, in any context, at any depth of nesting:
 *
 * 1. A value put into a command must be shell-inert: letters, digits and `. _ - + / : @ = , %`
 *    only (SAFE_VALUE). A value with anything else — `$ ( ) ; & | < > ' " \` space, newline, `#`,
 *    glob characters — is refused and the gate fails (VALUE_UNSAFE): whatever the quoting around
 *    `${version}`, a nested shell (`sh -c '…'`, `sh -c "…"`, `eval`, `ssh host …`, a heredoc fed to
 *    `sh`) may read the text again as source, and only an inert value stays data there. Branch
 *    names in pull requests are attacker-controlled; a script that needs an arbitrary value reads
 *    it from the environment (`$SHIPGATE_GIT_BRANCH`) where its own quoting applies.
 * 2. In the command text each variable becomes a reference to the environment variable that
 *    carries it (`${version}` → `"${SHIPGATE_VERSION}"`), fitting the quotes around it, so secrets
 *    passed as `${env.TOKEN}` never appear in logged commands.
 */
import { ShipgateError } from '../errors.js';
import type { ProbeConfig } from './types.js';

export interface Vars {
  version: string;
  gitSha: string;
  gitBranch: string;
  runDir: string;
  gate?: string;
  env: Record<string, string | undefined>;
}

const VAR_RE = /\$\{([^}]*)\}/g;
const KNOWN = new Set(['version', 'git.sha', 'git.branch', 'run.dir', 'gate']);
const ENV_NAME_RE = /^env\.[A-Za-z_][A-Za-z0-9_]*$/;

export class InterpolationError extends ShipgateError {
  constructor(message: string, code: 'CONFIG_VARIABLE' | 'VALUE_UNSAFE' = 'CONFIG_VARIABLE', hint: string = VARIABLE_HINT) {
    super(code, message, { hint });
  }
}

/** What a value spliced into shell text may hold: nothing a shell at any depth reads as syntax. */
const SAFE_VALUE = /^[A-Za-z0-9._+/:@=,%-]*$/;

function describeChar(ch: string): string {
  const code = ch.codePointAt(0)!;
  if (ch === ' ') return 'a space';
  if (code < 0x20 || code === 0x7f) return `control character U+${code.toString(16).padStart(4, '0').toUpperCase()}`;
  return JSON.stringify(ch);
}

/** Refuse a value that is not shell-inert (see the module comment), naming the variable and the character. */
function checkInert(name: string, value: string): void {
  if (SAFE_VALUE.test(value)) return;
  const bad = [...value].find((ch) => !SAFE_VALUE.test(ch))!;
  const envName = ENV_OF[name] ?? name.slice(4);
  throw new InterpolationError(
    `\${${name}} holds ${describeChar(bad)}, which a shell could read as code; it is not put into the command`,
    'VALUE_UNSAFE',
    `use "$${envName}" from the environment in a script (where your own quoting applies), or fix the value; values in commands may hold letters, digits and . _ - + / : @ = , % only`,
  );
}

/** Variables whose values come from outside the configuration (tags, branches, the environment). */
const UNTRUSTED = new Set(['version', 'git.sha', 'git.branch']);

/** Names used in `text` that are not known variables (checked before anything runs). */
export function unknownVariables(text: string): string[] {
  const bad: string[] = [];
  for (const [, name] of text.matchAll(VAR_RE)) {
    const n = name!.trim();
    if (!KNOWN.has(n) && !ENV_NAME_RE.test(n)) bad.push(n);
  }
  return bad;
}

export const VARIABLE_HINT = 'known variables: ${version}, ${git.sha}, ${git.branch}, ${run.dir}, ${gate}, ${env.NAME}';

function lookup(name: string, vars: Vars): string {
  switch (name) {
    case 'version':
      return vars.version;
    case 'git.sha':
      return vars.gitSha;
    case 'git.branch':
      return vars.gitBranch;
    case 'run.dir':
      return vars.runDir;
    case 'gate':
      return vars.gate ?? '';
  }
  if (ENV_NAME_RE.test(name)) {
    const v = vars.env[name.slice(4)];
    if (v === undefined) throw new InterpolationError(`environment variable ${name.slice(4)} is not set (used as \${${name}})`);
    return v;
  }
  throw new InterpolationError(`unknown variable \${${name}}; ${VARIABLE_HINT}`);
}

const ENV_OF: Record<string, string> = {
  version: 'SHIPGATE_VERSION',
  'git.sha': 'SHIPGATE_GIT_SHA',
  'git.branch': 'SHIPGATE_GIT_BRANCH',
  'run.dir': 'SHIPGATE_RUN_DIR',
  gate: 'SHIPGATE_GATE',
};

/** The environment variable a command reads for `${name}`; checks now that it is set and inert. */
function envNameFor(name: string, vars: Vars): string {
  const value = lookup(name, vars);
  if (UNTRUSTED.has(name) || name.startsWith('env.')) checkInert(name, value);
  return ENV_OF[name] ?? name.slice(4);
}

/** A heredoc started on this line: its delimiter, whether tabs are stripped (`<<-`), whether it was quoted. */
interface Heredoc {
  delimiter: string;
  stripTabs: boolean;
  quoted: boolean;
}

/** `<<EOF`, `<<-'EOF'`, `<< "END"` at `i` (pointing at the first `<`): the heredoc and where its word ends. */
function heredocAt(text: string, i: number): { doc: Heredoc; end: number } | undefined {
  if (text[i] !== '<' || text[i + 1] !== '<' || text[i + 2] === '<') return undefined;
  let j = i + 2;
  const stripTabs = text[j] === '-';
  if (stripTabs) j++;
  while (text[j] === ' ' || text[j] === '\t') j++;
  const q = text[j];
  if (q === "'" || q === '"') {
    const close = text.indexOf(q, j + 1);
    if (close === -1) return undefined;
    return { doc: { delimiter: text.slice(j + 1, close), stripTabs, quoted: true }, end: close + 1 };
  }
  const m = /^\\?([A-Za-z0-9_]+)/.exec(text.slice(j));
  if (!m) return undefined;
  return { doc: { delimiter: m[1]!, stripTabs, quoted: m[0].startsWith('\\') }, end: j + m[0].length };
}

/**
 * Interpolate into a shell command. The command is scanned the way /bin/sh reads quotes, and each
 * `${…}` becomes a reference fitting its context: `"${VAR}"` outside quotes, `${VAR}` inside double
 * quotes, `'"${VAR}"'` inside single quotes. Parameter expansion output is never parsed again as
 * shell code, so no value can run as a command.
 */
export function interpolateCommand(text: string, vars: Vars): string {
  let out = '';
  let quote: '' | "'" | '"' = '';
  // `$(…)` opens a fresh quoting context, even inside double quotes.
  const outer: ('' | "'" | '"')[] = [];
  // Heredocs opened on the current line; their bodies start after its newline.
  let pending: Heredoc[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n' && quote === '' && pending.length) {
      out += ch;
      i = copyHeredocBodies(text, i + 1, pending, vars, (s) => (out += s)) - 1;
      pending = [];
      continue;
    }
    if (ch === '<' && quote === '') {
      const h = heredocAt(text, i);
      if (h) {
        pending.push(h.doc);
        out += text.slice(i, h.end);
        i = h.end - 1;
        continue;
      }
    }
    if (ch === '\\' && quote !== "'") {
      out += ch + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '$' && text[i + 1] === '(' && quote !== "'") {
      out += '$(';
      outer.push(quote);
      quote = '';
      i++;
      continue;
    }
    if (ch === ')' && quote === '' && outer.length) {
      out += ch;
      quote = outer.pop()!;
      continue;
    }
    if (ch === '$' && text[i + 1] === '{') {
      const end = text.indexOf('}', i + 2);
      if (end !== -1) {
        const ref = `\${${envNameFor(text.slice(i + 2, end).trim(), vars)}}`;
        out += quote === '"' ? ref : quote === "'" ? `'"${ref}"'` : `"${ref}"`;
        i = end;
        continue;
      }
    }
    if ((ch === '"' || ch === "'") && (quote === '' || quote === ch)) quote = quote === ch ? '' : ch;
    out += ch;
  }
  return out;
}

/**
 * Copy heredoc bodies starting at `from`, rewriting variables inside them: in an unquoted heredoc
 * the shell expands `${VAR}` (no quote removal there, so no quotes are added); in a quoted one it
 * expands nothing, so the (inert) value itself goes in. Returns the index after the last body.
 */
function copyHeredocBodies(text: string, from: number, docs: Heredoc[], vars: Vars, emit: (s: string) => void): number {
  let i = from;
  for (const doc of docs) {
    for (;;) {
      if (i >= text.length) return i;
      const nl = text.indexOf('\n', i);
      const line = nl === -1 ? text.slice(i) : text.slice(i, nl);
      const bare = doc.stripTabs ? line.replace(/^\t+/, '') : line;
      if (bare === doc.delimiter) {
        emit(line);
        if (nl === -1) return text.length;
        emit('\n');
        i = nl + 1;
        break;
      }
      emit(line.replace(VAR_RE, (_, name: string) => (doc.quoted ? inertValue(name.trim(), vars) : `\${${envNameFor(name.trim(), vars)}}`)));
      if (nl === -1) return text.length;
      emit('\n');
      i = nl + 1;
    }
  }
  return i;
}

/** The value itself, for the one place a reference cannot work (a quoted heredoc); it must be inert. */
function inertValue(name: string, vars: Vars): string {
  envNameFor(name, vars);
  const value = lookup(name, vars);
  checkInert(name, value);
  return value;
}

/**
 * Interpolate a gate's, service's or step's `env:` values: they reach the process as environment
 * variables, never as shell text, so values are inserted as they are (`DB_URL: "${env.HISTORY_DB}"`
 * hands a gate a variable shipgate otherwise withholds).
 */
export function interpolateEnv(env: Record<string, string>, vars: Vars): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) out[k] = v.includes('${') ? interpolateText(v, vars) : v;
  return out;
}

/** Interpolate into a URL, path or other non-shell text: values inserted as they are. */
export function interpolateText(text: string, vars: Vars): string {
  return text.replace(VAR_RE, (_, name: string) => lookup(name.trim(), vars));
}

/**
 * Interpolate into text another language reads (a PromQL query): each value must match `safe`,
 * or the text could say something other than what was written (`1.0"} or vector(1)`).
 */
export function interpolateQuery(text: string, vars: Vars, safe: RegExp, language: string): string {
  return text.replace(VAR_RE, (_, raw: string) => {
    const name = raw.trim();
    const value = lookup(name, vars);
    if (!safe.test(value)) {
      throw new InterpolationError(`\${${name}} is ${JSON.stringify(value)}, which ${language} could read as part of the query`, 'VALUE_UNSAFE', 'a value in a query may hold letters, digits and . _ - + : @ / only');
    }
    return value;
  });
}

/**
 * Interpolate into a file path or glob (artifacts): a value from outside the configuration must not
 * widen what the path matches — no glob characters, no `..` segment, no absolute path.
 */
export function interpolatePath(text: string, vars: Vars): string {
  return text.replace(VAR_RE, (_, raw: string) => {
    const name = raw.trim();
    const value = lookup(name, vars);
    if ((UNTRUSTED.has(name) || name.startsWith('env.')) && (/[*?[\]{}!]/.test(value) || /(^|\/)\.\.(\/|$)/.test(value) || value.startsWith('/'))) {
      throw new InterpolationError(`\${${name}} is ${JSON.stringify(value)}, which would change what the path matches`, 'VALUE_UNSAFE', 'a value in a path may not hold glob characters, a .. segment, or start with /');
    }
    return value;
  });
}

/** The SHIPGATE_* variables every process gets. */
export function exportedEnv(vars: Vars): Record<string, string> {
  const env: Record<string, string> = {
    SHIPGATE_VERSION: vars.version,
    SHIPGATE_GIT_SHA: vars.gitSha,
    SHIPGATE_GIT_BRANCH: vars.gitBranch,
    SHIPGATE_RUN_DIR: vars.runDir,
  };
  if (vars.gate) env.SHIPGATE_GATE = vars.gate;
  return env;
}

/** A probe with `${…}` resolved in its URL, header values and body. */
export function interpolateProbe(p: ProbeConfig, vars: Vars): ProbeConfig {
  return {
    ...p,
    url: interpolateText(p.url, vars),
    headers: Object.fromEntries(Object.entries(p.headers).map(([k, v]) => [k, interpolateText(v, vars)])),
    body: p.body === undefined ? undefined : interpolateText(p.body, vars),
  };
}
