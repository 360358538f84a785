import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Expr } from '../expression/ast.js';
import { parseExpression } from '../expression/parse.js';
import { calls, FUNCTIONS, references, type Reference } from '../expression/references.js';
import { parseTemplate } from '../expression/template.js';
import { locateInString, type Document, type PathSegment } from '../parse/document.js';
import { RUN_MACROS } from '../schedule/logical-date.js';
import type { PipelineDocument, Task } from './pipeline.generated.js';
import { neededNames } from '../compile/needs.js';
import { didYouMean } from './suggest.js';

/** What names an expression may use, at one place in the pipeline. */
interface Scope {
  params: ReadonlySet<string>;
  env: ReadonlySet<string>;
  /** undefined: no `matrix` context here. */
  matrix?: ReadonlySet<string>;
  /** undefined: run-time values (`needs`, `run.attempt`) are not known where this expression is evaluated. */
  needs?: ReadonlySet<string>;
  /** Where `success()` and friends may be used. */
  isCondition: boolean;
  where: string;
}

const CONTEXTS = ['params', 'env', 'matrix', 'run', 'needs'];
/** Fields of a task that are only evaluated when the task starts, so they may read upstream outputs. */
const RUNTIME_FIELDS = new Set(['run', 'args', 'env', 'if']);

/** Checks every `${{ }}` in a pipeline: syntax, and that every name it reads can exist there. */
export function checkExpressions(doc: Document, spec: PipelineDocument): Diagnostic[] {
  const params = new Set(Object.keys(spec.params ?? {}));
  const env = new Set([...Object.keys(spec.defaults?.env ?? {}), ...Object.keys(spec.env ?? {})]);
  const diagnostics: Diagnostic[] = [];
  const check = (path: PathSegment[], value: unknown, scope: Scope) => diagnostics.push(...checkValue(doc, path, value, scope));
  check(['env'], spec.env, { params, env: new Set(), isCondition: false, where: 'the pipeline env' });
  check(['defaults', 'env'], spec.defaults?.env, { params, env: new Set(), isCondition: false, where: 'defaults' });
  for (const [name, task] of Object.entries(spec.tasks)) {
    for (const [field, value] of Object.entries(task)) {
      const scope: Scope = {
        params,
        env,
        isCondition: field === 'if',
        where: `\`${field}\` of task \`${name}\``,
        ...(field === 'matrix' ? {} : { matrix: matrixAxes(task) }),
        ...(RUNTIME_FIELDS.has(field) ? { needs: new Set(neededNames(task.needs)) } : {}),
      };
      if (field === 'if' && typeof value === 'string') diagnostics.push(...checkCondition(doc, ['tasks', name, 'if'], value, scope));
      else check(['tasks', name, field], value, scope);
    }
  }
  return diagnostics;
}

function matrixAxes(task: Task): ReadonlySet<string> | undefined {
  if (task.matrix === undefined) return undefined;
  const axes = Object.keys(task.matrix).filter((k) => k !== 'include' && k !== 'exclude');
  const included = Array.isArray(task.matrix.include) ? task.matrix.include.flatMap((row) => Object.keys(row ?? {})) : [];
  return new Set([...axes, ...included]);
}

function checkValue(doc: Document, path: PathSegment[], value: unknown, scope: Scope): Diagnostic[] {
  if (typeof value === 'string') return checkTemplate(doc, path, value, scope);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    checkValue(doc, [...path, Array.isArray(value) ? Number(key) : key], child, scope),
  );
}

/** `if:` may be written with or without `${{ }}`. */
function checkCondition(doc: Document, path: PathSegment[], text: string, scope: Scope): Diagnostic[] {
  if (text.includes('${{')) return checkTemplate(doc, path, text, scope);
  const leading = text.length - text.trimStart().length;
  const parsed = parseExpression(text.trim());
  if (!parsed.ok) return [error('DAG047', parsed.error.message, locateInString(doc, path, leading + parsed.error.offset))];
  return checkNames(parsed.value, scope).map((p) => error(p.code, p.message, locateInString(doc, path, leading + p.start), p.hint));
}

function checkTemplate(doc: Document, path: PathSegment[], text: string, scope: Scope): Diagnostic[] {
  if (!text.includes('${{')) return [];
  const template = parseTemplate(text);
  if (!template.ok) return [error('DAG047', template.error.message, locateInString(doc, path, template.error.offset))];
  return template.value.parts.flatMap((part) =>
    part.kind === 'text'
      ? []
      : checkNames(part.expr, scope).map((p) => error(p.code, p.message, locateInString(doc, path, part.offset + p.start), p.hint)),
  );
}

interface NameProblem {
  code: Diagnostic['code'];
  message: string;
  start: number;
  hint?: string;
}

function checkNames(expr: Expr, scope: Scope): NameProblem[] {
  return [...references(expr).flatMap((ref) => checkReference(ref, scope)), ...checkCalls(expr, scope)];
}

function checkReference(ref: Reference, scope: Scope): NameProblem[] {
  const [root = '', name, ...rest] = ref.path;
  const problem = (code: Diagnostic['code'], message: string, hint?: string): NameProblem[] => [
    { code, message, start: ref.start, ...(hint === undefined ? {} : { hint }) },
  ];
  switch (root) {
    case 'params':
      return name === undefined || scope.params.has(name) ? [] : problem('DAG048', `there is no param \`${name}\`${didYouMean(name, scope.params)}`, 'declare it under `params:`');
    case 'env':
      return name === undefined || scope.env.has(name) ? [] : problem('DAG048', `there is no env \`${name}\` in the pipeline's env${didYouMean(name, scope.env)}`);
    case 'matrix':
      if (scope.matrix === undefined) return problem('DAG048', `${scope.where} reads \`matrix\`, but there is no matrix here`);
      return name === undefined || scope.matrix.has(name) ? [] : problem('DAG048', `the matrix has no axis \`${name}\`${didYouMean(name, scope.matrix)}`);
    case 'run':
      if (name === 'attempt' && scope.needs === undefined) return problem('DAG048', `\`run.attempt\` is only known when the task starts, not in ${scope.where}`);
      return name === undefined || RUN_MACROS.has(name) ? [] : problem('DAG048', `there is no run macro \`${name}\`${didYouMean(name, RUN_MACROS)}`);
    case 'needs':
      return checkNeedsReference(name, rest, scope, problem);
    case 'secrets':
      return problem('DAG048', noSecretsContext(name ?? 'NAME'), 'expressions never see secret values: what they produce shows in commands, plans and records');
    default:
      return problem('DAG048', `unknown name \`${root}\`${didYouMean(root, CONTEXTS)}`, `expressions can read ${CONTEXTS.join(', ')}`);
  }
}

const noSecretsContext = (variable: string): string =>
  `there is no \`secrets\` context: use \`$${variable}\` in the command instead, and declare \`${variable}\` under \`secrets:\``;

function checkNeedsReference(
  task: string | undefined,
  rest: string[],
  scope: Scope,
  problem: (code: Diagnostic['code'], message: string, hint?: string) => NameProblem[],
): NameProblem[] {
  if (scope.needs === undefined) return problem('DAG048', `upstream outputs are only known when the task starts, not in ${scope.where}`);
  if (task === undefined) return [];
  if (!scope.needs.has(task)) {
    return problem('DAG049', `reads the outputs of \`${task}\`, which this task does not need`, `add \`${task}\` to \`needs\``);
  }
  const [field] = rest;
  if (field === undefined || field === 'outputs' || field === 'result') return [];
  return problem('DAG048', `\`needs.${task}\` has \`outputs\` and \`result\`, not \`${field}\``);
}

function checkCalls(expr: Expr, scope: Scope): NameProblem[] {
  return calls(expr).flatMap(({ name, arity, start }): NameProblem[] => {
    const fn = FUNCTIONS[name];
    if (fn === undefined) {
      return [{ code: 'DAG051' as const, message: `unknown function \`${name}()\`${didYouMean(name, Object.keys(FUNCTIONS))}`, start }];
    }
    if (fn.statusOnly && !scope.isCondition) {
      return [{ code: 'DAG054' as const, message: `\`${name}()\` can only be used in \`if:\``, start }];
    }
    if (arity < fn.minArgs || arity > fn.maxArgs) {
      const expected = fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : fn.maxArgs === Infinity ? `at least ${fn.minArgs}` : `${fn.minArgs} to ${fn.maxArgs}`;
      return [{ code: 'DAG051' as const, message: `\`${name}()\` takes ${expected} argument(s), not ${arity}`, start }];
    }
    return [];
  });
}
