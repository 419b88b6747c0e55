/**
 * `${version}`, `${git.sha}`, `${git.branch}`, `${run.dir}`, `${gate}`, `${env.NAME}` in commands,
 * URLs and paths. Values never become shell text: in a command each variable is rewritten into a
 * quoted reference to the environment variable that carries it (`${version}` → `"${SHIPGATE_VERSION}"`),
 * so the shell expands it as data — a VERSION like `1.0; rm -rf /` is one argument, never code, in
 * any quoting context — and secrets passed as `${env.TOKEN}` never appear in logged commands.
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

const ENV_OF: Record<string, string> = {
  version: 'SHIPGATE_VERSION',
  'git.sha': 'SHIPGATE_GIT_SHA',
  'git.branch': 'SHIPGATE_GIT_BRANCH',
  'run.dir': 'SHIPGATE_RUN_DIR',
  gate: 'SHIPGATE_GATE',
};

/** The environment variable a command reads for `${name}`; checks now that it will be set. */
function envNameFor(name: string, vars: Vars): string {
  lookup(name, vars);
  return ENV_OF[name] ?? name.slice(4);
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
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
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

/** A probe with `${…}` resolved in its URL, header values and body. */
export function interpolateProbe(p: ProbeConfig, vars: Vars): ProbeConfig {
  return {
    ...p,
    url: interpolateText(p.url, vars),
    headers: Object.fromEntries(Object.entries(p.headers).map(([k, v]) => [k, interpolateText(v, vars)])),
    body: p.body === undefined ? undefined : interpolateText(p.body, vars),
  };
}
