/**
 * Rules across fields that a schema cannot express: references between gates and services,
 * cycles, expressions in `expect`, variables in commands. They run on the raw parsed value in the
 * same pass as the schema, so a file with a shape mistake and a cross-field mistake gets both
 * reported at once: every rule looks only at the parts whose shape it can read, and leaves parts
 * of the wrong shape to the schema's own message.
 */
import type { ConfigIssue } from '../errors.js';
import { findCycle } from '../util/graph.js';
import { compileExpectation, ExpectSyntaxError } from './expect-parse.js';
import { toRegExp } from '../util/regex.js';
import { unknownVariables, VARIABLE_HINT } from './interpolate.js';
import { suggest } from './issues.js';
import { formatPath, type FieldPath, type Locator } from './locate.js';
import type { RuleContext } from '../checks/kind.js';
import { probeRules } from '../checks/probes.js';
import { KINDS } from '../checks/registry.js';
import { budgetRules, sloRules } from '../checks/slos.js';
import { SLO_GATE } from './slo-gate.js';
import { DEFAULT_QUARANTINE_MAX_MS, rolloutStageId } from './normalize.js';
import { parseDuration } from './values.js';
import { untilInstant } from './values.js';
import { parsePublicKey } from '../util/ed25519.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
/** Own entries only: a key named `__proto__` or `constructor` is an ordinary key here. */
const entries = (v: unknown): [string, unknown][] => (isObj(v) ? Object.entries(v) : []);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
/** A string or list of strings, with each element's path. */
const stringOrList = (v: unknown, path: FieldPath): [string, FieldPath][] =>
  typeof v === 'string' ? [[v, path]] : Array.isArray(v) ? v.flatMap((x, i): [string, FieldPath][] => (typeof x === 'string' ? [[x, [...path, i]]] : [])) : [];

/** A hint lists a handful of ids, not a hundred thousand. */
function listIds(ids: readonly string[]): string {
  return ids.length > 10 ? `${ids.slice(0, 10).join(', ')}, … (${ids.length} in all)` : ids.join(', ');
}

/** A pattern of nothing but wildcards and separators (`*`, `**`, `*::*`, `?*`) names every test. */
export function matchesEverything(pattern: string): boolean {
  const p = pattern.trim();
  return p === '' || (/[*]/.test(p) && /^[*?:/\s]*$/.test(p));
}

/** The kinds that measure metrics, as a hint names them. */
function metricKinds(): string {
  const keys = KINDS.filter((k) => k.yieldsMetrics).map((k) => `\`${k.key}\``);
  return keys.length ? keys.join(' or ') : 'a check kind that measures';
}

export function checkRules(raw: unknown, loc: Locator, now: number = Date.now()): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (!isObj(raw)) return issues;
  const gates = entries(raw.gates);
  const services = entries(raw.services);
  const gateIds = gates.map(([id]) => id);
  // Top-level `slos:` is a gate of its own, which others may need.
  if (raw.slos !== undefined && !gateIds.includes(SLO_GATE)) gateIds.push(SLO_GATE);
  const serviceIds = services.map(([id]) => id);
  const gateSet = new Set(gateIds);
  const serviceSet = new Set(serviceIds);
  const push = (code: string, message: string, path: FieldPath, hint?: string, colOffset = 0) => {
    const location = loc.value(path);
    if (colOffset && location.col !== undefined) location.col += colOffset;
    issues.push({ code, message, path: formatPath(path), location, hint });
  };

  const checkVars = (text: unknown, path: FieldPath) => {
    if (typeof text !== 'string') return;
    for (const name of unknownVariables(text)) push('CONFIG_VARIABLE', `unknown variable \${${name}}`, path, VARIABLE_HINT);
  };
  const checkRegex = (src: string, path: FieldPath) => {
    try {
      toRegExp(src);
    } catch (e) {
      push('CONFIG_VALUE', `not a regular expression: ${(e as Error).message}`, path);
    }
  };
  const checkUrl = (url: string, path: FieldPath) => {
    if (!URL.canParse(url.replace(/\$\{[^}]*\}/g, '0'))) push('CONFIG_VALUE', `not a URL: ${JSON.stringify(url)}`, path);
  };
  const ruleCtx: RuleContext = { push: (code, message, path, hint) => push(code, message, path, hint), gate: {}, checkVars, checkUrl, checkRegex };

  // The schema's records drop a `__proto__` key without a word (it cannot be an own key of a plain
  // object there); a gate that silently vanishes would never run, so it is an error here.
  for (const [section, list] of [['services', services], ['gates', gates], ['requirements', entries(raw.requirements)]] as const) {
    for (const [id] of list) {
      if (id === '__proto__') push('CONFIG_VALUE', `"__proto__" is not a usable id`, [section, id], 'ids start with a letter or digit and use letters, digits, . _ -');
    }
  }

  for (const [id, svc] of services) {
    if (!isObj(svc)) continue;
    checkVars(svc.run, ['services', id, 'run']);
    for (const [name, value] of entries(svc.env)) checkVars(value, ['services', id, 'env', name]);
    if (isObj(svc.ready)) {
      checkVars(svc.ready.http, ['services', id, 'ready', 'http']);
      checkVars(svc.ready.command, ['services', id, 'ready', 'command']);
      const http = str(svc.ready.http);
      if (http !== undefined) checkUrl(http, ['services', id, 'ready', 'http']);
    }
  }

  for (const [id, gate] of gates) {
    if (!isObj(gate)) continue;
    const needs = Array.isArray(gate.needs) ? gate.needs : [];
    needs.forEach((need, i) => {
      if (typeof need !== 'string') return;
      if (need === id) push('CONFIG_CYCLE', `gate "${id}" needs itself`, ['gates', id, 'needs', i]);
      else if (!gateSet.has(need)) {
        const near = suggest(need, gateIds);
        push('CONFIG_UNKNOWN_GATE', `unknown gate "${need}" in needs`, ['gates', id, 'needs', i], near ? `did you mean "${near}"?` : `gates: ${listIds(gateIds)}`);
      }
    });
    (Array.isArray(gate.services) ? gate.services : []).forEach((svc, i) => {
      if (typeof svc !== 'string' || serviceSet.has(svc)) return;
      const near = suggest(svc, serviceIds);
      push(
        'CONFIG_UNKNOWN_SERVICE',
        `unknown service "${svc}"`,
        ['gates', id, 'services', i],
        near ? `did you mean "${near}"?` : serviceIds.length ? `services: ${listIds(serviceIds)}` : 'declare it under `services:`',
      );
    });
    const has = (k: string) => gate[k] !== undefined;
    const nonEmpty = (k: string) => Array.isArray(gate[k]) && (gate[k] as unknown[]).length > 0;
    const kindsHere = KINDS.filter((k) => k.present(gate[k.key]));
    if (has('manual')) {
      const extra = ['run', 'services', ...KINDS.map((k) => k.key), 'reports', 'expect', 'retry'].filter(has);
      if (extra.length) {
        push(
          'CONFIG_VALUE',
          `a manual gate is a sign-off only; it cannot also have ${extra.map((k) => `\`${k}\``).join(', ')}`,
          ['gates', id, extra[0]!],
          'put the automated part in a gate of its own and make the manual gate need it',
        );
      }
    }
    if (nonEmpty('expect') && !nonEmpty('reports') && !kindsHere.some((k) => k.yieldsMetrics)) {
      push('CONFIG_EXPECT', `gate "${id}" has \`expect\` but no \`reports\` to judge it on`, ['gates', id, 'expect'], `declare the report files the expectations are about under \`reports:\`, or measure with ${metricKinds()}`);
    }
    if (has('exit-codes') && !has('run')) {
      push('CONFIG_VALUE', '`exit-codes` only applies to a gate with `run`', ['gates', id, 'exit-codes']);
    }
    const doesSomething = has('run') || kindsHere.length > 0 || nonEmpty('reports') || has('manual');
    if (!doesSomething) {
      push('CONFIG_EMPTY_GATE', `gate "${id}" has nothing to check`, ['gates', id], `give it ${['run', ...KINDS.map((k) => k.key), 'reports'].map((k) => `\`${k}\``).join(', ')} or \`manual\``);
    }
    for (const [cmd, at] of stringOrList(gate.run, ['gates', id, 'run'])) checkVars(cmd, at);
    for (const [name, value] of entries(gate.env)) checkVars(value, ['gates', id, 'env', name]);
    for (const kind of KINDS) if (gate[kind.key] !== undefined) kind.rules?.(gate[kind.key], ['gates', id, kind.key], { ...ruleCtx, gate });
    (Array.isArray(gate.expect) ? gate.expect : []).forEach((text, i) => {
      if (typeof text !== 'string' || text === '') return;
      try {
        compileExpectation(text);
      } catch (e) {
        if (!(e instanceof ExpectSyntaxError)) throw e;
        // Point into the expression: the column of the string plus the column inside it.
        push(e.code, e.message, ['gates', id, 'expect', i], e.hint, e.column - 1);
      }
    });
  }

  if (isObj(raw.gates) && gates.length === 0 && raw.slos === undefined) {
    push('CONFIG_EMPTY', 'no gates: a release gate needs at least one gate', ['gates'], 'declare gates under `gates:` (see the README quickstart)');
  }

  const graph = Object.fromEntries(gates.map(([id, g]) => [id, { needs: isObj(g) ? strings(g.needs).filter((n) => n !== id) : [] }]));
  const cycle = findCycle(graph);
  if (cycle) {
    const first = cycle[0]!;
    const rawNeeds = (gates.find(([g]) => g === first)![1] as Obj).needs as unknown[];
    // A cycle through 100,000 gates is named by its ends, not printed whole.
    const shown = cycle.length > 12 ? [...cycle.slice(0, 6), `… ${cycle.length - 11} more …`, ...cycle.slice(-5)] : cycle;
    push('CONFIG_CYCLE', `cycle in needs: ${shown.join(' → ')}`, ['gates', first, 'needs', rawNeeds.indexOf(cycle[1])], 'a gate cannot (transitively) need itself; remove one of these needs');
  }

  // Quarantine: every entry ends, and not too far away; no pattern excuses everything.
  const maxMs = (isObj(raw.defaults) && typeof raw.defaults['quarantine-max'] === 'string' ? parseDuration(raw.defaults['quarantine-max']) : undefined) ?? DEFAULT_QUARANTINE_MAX_MS;
  (Array.isArray(raw.quarantine) ? raw.quarantine : []).forEach((q, i) => {
    if (!isObj(q)) return;
    for (const [pattern, at] of stringOrList(q.tests, ['quarantine', i, 'tests'])) {
      if (matchesEverything(pattern)) {
        push('CONFIG_VALUE', `quarantine pattern ${JSON.stringify(pattern)} matches every test`, at, 'name the tests (or a file or class) the quarantine is for; a quarantine of everything would excuse every failure');
      }
    }
    if (typeof q.until === 'string') {
      const end = untilInstant(q.until);
      if (end && end.getTime() - now > maxMs) {
        push('CONFIG_VALUE', `quarantine until ${q.until} is more than ${Math.round(maxMs / 86_400_000)} days away`, ['quarantine', i, 'until'], 'a quarantine is a short excuse with a date; raise defaults.quarantine-max if the project really needs longer');
      }
    }
  });

  // Signing keys must be keys shipgate can verify with, before any approval relies on them.
  for (const [id, gate] of gates) {
    if (!isObj(gate) || !isObj(gate.manual)) continue;
    for (const [who, key] of entries(gate.manual.keys)) {
      if (typeof key !== 'string') continue;
      try {
        parsePublicKey(key);
      } catch (e) {
        push('CONFIG_VALUE', `the key of ${who}: ${(e as Error).message}`, ['gates', id, 'manual', 'keys', who], 'paste the one line of the approver\'s id_ed25519.pub');
      }
    }
  }

  if (raw.slos !== undefined) {
    if (gates.some(([id]) => id === SLO_GATE)) {
      push('CONFIG_VALUE', `top-level \`slos:\` becomes the gate "${SLO_GATE}", and a gate of that name is already declared`, ['gates', SLO_GATE], `rename the gate, or move its SLOs under its own \`slos:\` key`);
    }
    sloRules(raw.slos, ['slos'], ruleCtx);
  }
  if (isObj(raw.budget)) {
    if (raw.slos === undefined) push('CONFIG_VALUE', '`budget:` is the error-budget policy of `slos:`, and there are none', ['budget'], 'declare the SLOs under `slos:`');
    budgetRules(raw.budget, ['budget'], ruleCtx);
  }

  if (isObj(raw.rollout)) rolloutRules(raw.rollout, gates, push, checkVars);

  const stepLists: [unknown, FieldPath][] = [
    [Array.isArray(raw.rollback) ? raw.rollback : isObj(raw.rollback) ? raw.rollback.steps : undefined, Array.isArray(raw.rollback) ? ['rollback'] : ['rollback', 'steps']],
    [raw.publish, ['publish']],
    [isObj(raw.rollout) ? raw.rollout.rollback : undefined, ['rollout', 'rollback']],
  ];
  for (const [list, base] of stepLists) {
    (Array.isArray(list) ? list : []).forEach((s, i) => {
      if (!isObj(s)) return;
      checkVars(s.run, [...base, i, 'run']);
      for (const [name, value] of entries(s.env)) checkVars(value, [...base, i, 'env', name]);
      probeRules(s.probe, [...base, i, 'probe'], ruleCtx);
    });
  }
  return issues;
}

type Push = (code: string, message: string, path: FieldPath, hint?: string) => void;

/**
 * `rollout:` — every stage can shift traffic, weights only go up and end at 100%, analysis names
 * gates that exist and can be run, ids are unique and are not gate ids (approvals are kept by id).
 */
function rolloutRules(r: Obj, gates: [string, unknown][], push: Push, checkVars: (text: unknown, path: FieldPath) => void): void {
  const gateIds = gates.map(([id]) => id);
  const gateOf = new Map(gates);
  checkVars(r.run, ['rollout', 'run']);
  for (const [name, value] of entries(r.env)) checkVars(value, ['rollout', 'env', name]);
  const stages = Array.isArray(r.stages) ? r.stages : [];
  let last = 0;
  const ids = new Map<string, number>();
  stages.forEach((st, i) => {
    if (!isObj(st)) return;
    const at: FieldPath = ['rollout', 'stages', i];
    checkVars(st.run, [...at, 'run']);
    if (st.run === undefined && r.run === undefined) push('CONFIG_VALUE', `stage ${i + 1} has no traffic-shift command`, at, 'give `rollout.run` (every stage) or the stage its own `run`');
    const w = typeof st.weight === 'number' ? st.weight : typeof st.weight === 'string' ? Number(st.weight.replace('%', '')) : NaN;
    if (Number.isFinite(w)) {
      if (w <= 0 || w > 100) push('CONFIG_VALUE', `weight ${JSON.stringify(st.weight)} is not between 0% and 100%`, [...at, 'weight']);
      else if (w <= last) push('CONFIG_VALUE', `weight ${JSON.stringify(st.weight)} is not above the stage before (${last}%)`, [...at, 'weight'], 'each stage sends more traffic to the new version than the one before');
      last = Math.max(last, w);
    }
    const id = typeof st.id === 'string' ? st.id : Number.isFinite(w) ? rolloutStageId(w) : undefined;
    if (id !== undefined) {
      if (ids.has(id)) push('CONFIG_VALUE', `stage id "${id}" is used twice`, [...at, typeof st.id === 'string' ? 'id' : 'weight'], 'give the stages distinct `id`s');
      if (gateOf.has(id)) push('CONFIG_VALUE', `stage id "${id}" is also a gate id`, [...at, typeof st.id === 'string' ? 'id' : 'weight'], 'approvals are kept by id: give the stage another `id`');
      ids.set(id, i);
    }
    if (st.interval !== undefined && st.hold === undefined) push('CONFIG_VALUE', '`interval` is how often the analysis runs during `hold`, and there is no hold', [...at, 'interval'], 'add `hold: 5m`, or drop `interval`');
    if (st.manual !== undefined && st.approve !== 'manual') push('CONFIG_VALUE', '`manual` describes the approval of a stage with `approve: manual`', [...at, 'manual'], 'add `approve: manual`');
    (Array.isArray(st.analysis) ? st.analysis : []).forEach((g, j) => {
      if (typeof g !== 'string') return;
      const gate = gateOf.get(g);
      if (gate === undefined) {
        const near = suggest(g, gateIds);
        push('CONFIG_UNKNOWN_GATE', `unknown gate "${g}" in analysis`, [...at, 'analysis', j], near ? `did you mean "${near}"?` : `gates: ${listIds(gateIds)}`);
      } else if (isObj(gate) && gate.manual !== undefined) {
        push('CONFIG_VALUE', `gate "${g}" is a manual gate: it cannot be an analysis`, [...at, 'analysis', j], 'an analysis is measured; use `approve: manual` on the stage for a sign-off');
      }
    });
  });
  if (stages.length && last !== 100 && last > 0) push('CONFIG_VALUE', `the last stage sends ${last}% of traffic, not 100%`, ['rollout', 'stages', stages.length - 1, 'weight'], 'end the rollout with `{ weight: 100% }`');
}
