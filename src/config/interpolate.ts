/**
 * `${version}`, `${git.sha}`, `${git.branch}`, `${run.dir}`, `${gate}`, `${env.NAME}` in commands,
 * URLs and paths. In shell commands every value is shell-quoted, so a VERSION like `1.0; rm -rf /`
 * is one argument, never code. The same values are exported as SHIPGATE_* environment variables.
 */
import { quote } from 'shell-quote';
import { ShipgateError } from '../errors.js';

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
  constructor(message: string) {
    super('CONFIG_VARIABLE', message, { hint: VARIABLE_HINT });
  }
}

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

/** Inside "…" the shell still expands `$`, backquotes and `\`: escape those (and the quote itself). */
function escapeInDoubleQuotes(v: string): string {
  return v.replace(/[\\$`"]/g, '\\$&');
}

/** Inside '…' nothing is special but the closing quote: close, add an escaped quote, reopen. */
function escapeInSingleQuotes(v: string): string {
  return v.replace(/'/g, `'\\''`);
}

/**
 * Interpolate into a shell command so that every value stays data. The command is scanned the way
 * /bin/sh reads quotes: a `${…}` outside quotes becomes one shell-quoted word; inside double or
 * single quotes the value is escaped for that context (`"v=${version}"` with a version of
 * `$(touch pwned)` prints the text, it does not run it).
 */
export function interpolateCommand(text: string, vars: Vars): string {
  let out = '';
  let quote: '' | "'" | '"' = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && quote !== "'") {
      out += ch + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '$' && text[i + 1] === '{') {
      const end = text.indexOf('}', i + 2);
      if (end !== -1) {
        const value = lookup(text.slice(i + 2, end).trim(), vars);
        out += quote === '"' ? escapeInDoubleQuotes(value) : quote === "'" ? escapeInSingleQuotes(value) : quoteWord(value);
        i = end;
        continue;
      }
    }
    if ((ch === '"' || ch === "'") && (quote === '' || quote === ch)) quote = quote === ch ? '' : ch;
    out += ch;
  }
  return out;
}

function quoteWord(v: string): string {
  return v === '' ? "''" : quote([v]);
}

/** Interpolate into a URL, path or other non-shell text: values inserted as they are. */
export function interpolateText(text: string, vars: Vars): string {
  return text.replace(VAR_RE, (_, name: string) => lookup(name.trim(), vars));
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
