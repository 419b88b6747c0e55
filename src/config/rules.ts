/**
 * Rules across fields that a schema cannot express: references between gates and services,
 * cycles, expressions in `expect`, variables in commands. Run after the schema accepted the shape.
 */
import type { ConfigIssue } from '../errors.js';
import { findCycle } from '../plan/graph.js';
import { compileExpectation, ExpectSyntaxError } from '../policy/expect-parse.js';
import { toRegExp } from '../util/regex.js';
import { unknownVariables, VARIABLE_HINT } from './interpolate.js';
import { suggest } from './issues.js';
import { formatPath, type FieldPath, type Locator } from './locate.js';
import { PROBE_METHODS, type UserConfig, type UserProbe } from './schema.js';


export function checkRules(cfg: UserConfig, loc: Locator): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const gateIds = Object.keys(cfg.gates);
  const serviceIds = Object.keys(cfg.services ?? {});
  const push = (code: string, message: string, path: FieldPath, hint?: string, colOffset = 0) => {
    const location = loc.value(path);
    if (colOffset && location.col !== undefined) location.col += colOffset;
    issues.push({ code, message, path: formatPath(path), location, hint });
  };

  const checkVars = (text: string | undefined, path: FieldPath) => {
    if (text === undefined) return;
    for (const name of unknownVariables(text)) push('CONFIG_VARIABLE', `unknown variable \${${name}}`, path, VARIABLE_HINT);
  };
  const checkProbe = (p: UserProbe, path: FieldPath) => {
    const method = PROBE_METHODS.find((m) => p[m] !== undefined);
    if (method) {
      const url = p[method]!;
      checkVars(url, [...path, method]);
      if (!URL.canParse(url.replace(/\$\{[^}]*\}/g, '0'))) push('CONFIG_VALUE', `not a URL: ${JSON.stringify(url)}`, [...path, method]);
    }
    const patterns = p['body-matches'] === undefined ? [] : [p['body-matches']].flat();
    patterns.forEach((re, i) => checkRegex(re, [...path, 'body-matches', ...(Array.isArray(p['body-matches']) ? [i] : [])]));
    for (const [name, expected] of Object.entries(p.header ?? {})) {
      if (/^\/.*\/[a-z]*$/s.test(expected)) checkRegex(expected, [...path, 'header', name]);
    }
    for (const [name, value] of Object.entries(p.headers ?? {})) checkVars(value, [...path, 'headers', name]);
    if (typeof p.body === 'string') checkVars(p.body, [...path, 'body']);
  };
  const checkRegex = (src: string, path: FieldPath) => {
    try {
      toRegExp(src);
    } catch (e) {
      push('CONFIG_VALUE', `not a regular expression: ${(e as Error).message}`, path);
    }
  };

  for (const [id, svc] of Object.entries(cfg.services ?? {})) {
    checkVars(svc.run, ['services', id, 'run']);
    checkVars(svc.ready?.http, ['services', id, 'ready', 'http']);
    checkVars(svc.ready?.command, ['services', id, 'ready', 'command']);
    const http = svc.ready?.http;
    if (http !== undefined && !URL.canParse(http.replace(/\$\{[^}]*\}/g, '0'))) {
      push('CONFIG_VALUE', `not a URL: ${JSON.stringify(http)}`, ['services', id, 'ready', 'http']);
    }
  }

  for (const [id, gate] of Object.entries(cfg.gates)) {
    (gate.needs ?? []).forEach((need, i) => {
      if (need === id) push('CONFIG_CYCLE', `gate "${id}" needs itself`, ['gates', id, 'needs', i]);
      else if (!gateIds.includes(need)) {
        const near = suggest(need, gateIds);
        push('CONFIG_UNKNOWN_GATE', `unknown gate "${need}" in needs`, ['gates', id, 'needs', i], near ? `did you mean "${near}"?` : `gates: ${gateIds.join(', ')}`);
      }
    });
    (gate.services ?? []).forEach((svc, i) => {
      if (!serviceIds.includes(svc)) {
        const near = suggest(svc, serviceIds);
        push(
          'CONFIG_UNKNOWN_SERVICE',
          `unknown service "${svc}"`,
          ['gates', id, 'services', i],
          near ? `did you mean "${near}"?` : serviceIds.length ? `services: ${serviceIds.join(', ')}` : 'declare it under `services:`',
        );
      }
    });
    if (gate.manual) {
      const extra = (['run', 'services', 'probes', 'artifacts', 'reports', 'expect', 'retry'] as const).filter((k) => gate[k] !== undefined);
      if (extra.length) {
        push(
          'CONFIG_VALUE',
          `a manual gate is a sign-off only; it cannot also have ${extra.map((k) => `\`${k}\``).join(', ')}`,
          ['gates', id, extra[0]!],
          'put the automated part in a gate of its own and make the manual gate need it',
        );
      }
    }
    if ((gate.expect?.length ?? 0) > 0 && (gate.reports?.length ?? 0) === 0) {
      push('CONFIG_EXPECT', `gate "${id}" has \`expect\` but no \`reports\` to judge it on`, ['gates', id, 'expect'], 'declare the report files the expectations are about under `reports:`');
    }
    const doesSomething =
      gate.run !== undefined ||
      (gate.probes?.length ?? 0) > 0 ||
      (gate.artifacts?.length ?? 0) > 0 ||
      (gate.reports?.length ?? 0) > 0 ||
      gate.manual !== undefined;
    if (!doesSomething) {
      push('CONFIG_EMPTY_GATE', `gate "${id}" has nothing to check`, ['gates', id], 'give it `run`, `probes`, `artifacts`, `reports` or `manual`');
    }
    checkVars(gate.run, ['gates', id, 'run']);
    (gate.probes ?? []).forEach((p, i) => checkProbe(p, ['gates', id, 'probes', i]));
    (gate.artifacts ?? []).forEach((a, i) => checkVars(a.path, ['gates', id, 'artifacts', i, 'path']));
    (gate.expect ?? []).forEach((text, i) => {
      try {
        compileExpectation(text);
      } catch (e) {
        if (!(e instanceof ExpectSyntaxError)) throw e;
        // Point into the expression: the column of the string plus the column inside it.
        push(e.code, e.message, ['gates', id, 'expect', i], e.hint, e.column - 1);
      }
    });
  }

  if (Object.keys(cfg.gates).length === 0) {
    push('CONFIG_EMPTY', 'no gates: a release gate needs at least one gate', ['gates'], 'declare gates under `gates:` (see the README quickstart)');
  }

  const cycle = findCycle(Object.fromEntries(Object.entries(cfg.gates).map(([id, g]) => [id, { needs: (g.needs ?? []).filter((n) => n !== id) }])));
  if (cycle) {
    const first = cycle[0]!;
    const idx = (cfg.gates[first]!.needs ?? []).indexOf(cycle[1]!);
    push('CONFIG_CYCLE', `cycle in needs: ${cycle.join(' → ')}`, ['gates', first, 'needs', idx], 'a gate cannot (transitively) need itself; remove one of these needs');
  }

  const steps = Array.isArray(cfg.rollback) ? cfg.rollback : (cfg.rollback?.steps ?? []);
  steps.forEach((s, i) => {
    const base: FieldPath = Array.isArray(cfg.rollback) ? ['rollback', i] : ['rollback', 'steps', i];
    checkVars(s.run, [...base, 'run']);
    if (s.probe) checkProbe(s.probe, [...base, 'probe']);
  });

  return issues;
}
