/**
 * Rules across fields that a schema cannot express: references between gates and services,
 * cycles, expressions in `expect`, variables in commands. Run after the schema accepted the shape.
 */
import type { ConfigIssue } from '../errors.js';
import { findCycle } from '../plan/graph.js';
import { compileExpectation, ExpectSyntaxError } from '../policy/expect-parse.js';
import { unknownVariables, VARIABLE_HINT } from './interpolate.js';
import { suggest } from './issues.js';
import { formatPath, type FieldPath, type Locator } from './locate.js';
import type { UserConfig, UserProbe } from './schema.js';

const PROBE_METHODS = ['get', 'post', 'put', 'delete', 'head'] as const;

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
    patterns.forEach((re, i) => {
      try {
        new RegExp(re);
      } catch (e) {
        push('CONFIG_VALUE', `not a regular expression: ${(e as Error).message}`, [...path, 'body-matches', ...(Array.isArray(p['body-matches']) ? [i] : [])]);
      }
    });
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
