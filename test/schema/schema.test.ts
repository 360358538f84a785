import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
// The named export: under NodeNext, TypeScript types the default import of this CommonJS module as the whole
// module object (not constructable); src/validate/schema.ts imports it the same way.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCHEMA_PATH = join(REPO, 'schema/pipeline.schema.json');
const VALID_FIXTURES = join(REPO, 'test/fixtures/valid');

type Schema = { [key: string]: unknown };
const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Schema;
const ID = String(schema.$id);

/** The options src/validate/schema.ts compiles the schema with. */
const newAjv = () => new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });

let ajv: InstanceType<typeof Ajv2020>;
let validate: ValidateFunction;
beforeAll(() => {
  ajv = newAjv();
  validate = ajv.compile(schema);
});

const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every subschema with its JSON pointer and the keywords that led to it. */
function* subschemas(node: unknown, pointer = '', via: string[] = []): Generator<{ node: unknown; pointer: string; via: string[] }> {
  yield { node, pointer, via };
  if (!isSchema(node)) return;
  const esc = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');
  for (const keyword of ['properties', '$defs', 'patternProperties', 'dependentSchemas']) {
    const map = node[keyword];
    if (isSchema(map)) for (const [k, v] of Object.entries(map)) yield* subschemas(v, `${pointer}/${keyword}/${esc(k)}`, [...via, keyword]);
  }
  for (const keyword of ['additionalProperties', 'items', 'propertyNames', 'not', 'if', 'then', 'else', 'contains']) {
    if (node[keyword] !== undefined) yield* subschemas(node[keyword], `${pointer}/${keyword}`, [...via, keyword]);
  }
  for (const keyword of ['anyOf', 'allOf', 'oneOf', 'prefixItems']) {
    const list = node[keyword];
    if (Array.isArray(list)) for (const [i, v] of list.entries()) yield* subschemas(v, `${pointer}/${keyword}/${i}`, [...via, keyword]);
  }
}

const at = (pointer: string): Schema => {
  const node = pointer
    .split('/')
    .slice(1)
    .reduce<unknown>((n, s) => (isSchema(n) ? n[s.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined), schema);
  if (!isSchema(node)) throw new Error(`no schema at ${pointer}`);
  return node;
};

interface Problem {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params?: Record<string, unknown>;
  propertyName?: string;
}

/** ajv's errors for a YAML snippet, reduced to what the validator maps them by. */
function errorsOf(yaml: string): Problem[] {
  const doc = YAML.parseDocument(yaml);
  expect(doc.errors).toEqual([]);
  if (validate(doc.toJS())) return [];
  return (validate.errors ?? []).map((e: ErrorObject) => ({
    keyword: e.keyword,
    instancePath: e.instancePath,
    schemaPath: e.schemaPath,
    params: e.params as Record<string, unknown>,
    ...(e.propertyName === undefined ? {} : { propertyName: e.propertyName }),
  }));
}

const task = (body: string) => `version: 1\ntasks:\n  train:\n${body.replace(/^/gm, '    ')}\n`;

describe('the schema', () => {
  it("compiles under ajv's draft 2020-12 build in strict mode, with the validator's options", () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(ID).toMatch(/^https:\/\/dagline\.dev\/schema\/pipeline\.schema\.json$/);
    expect(typeof schema.title).toBe('string');
    expect(() => newAjv().compile(schema)).not.toThrow();
  });

  it('describes every property, every $defs entry and every value schema of a map', () => {
    const undocumented: string[] = [];
    for (const { node, pointer, via } of subschemas(schema)) {
      const last = via.at(-1);
      // `{ run: true }` inside the run/args rule only tells strict mode the key exists; it is not a property.
      if (node === true && via.some((k) => k === 'not' || k === 'anyOf')) continue;
      const needsDescription =
        pointer === '' ||
        last === 'properties' ||
        last === '$defs' ||
        ((last === 'additionalProperties' || last === 'items') && isSchema(node) && node.$ref === undefined);
      if (!needsDescription) continue;
      const description = isSchema(node) ? node.description : undefined;
      if (typeof description !== 'string' || description.trim() === '') undocumented.push(pointer || '(root)');
    }
    expect(undocumented).toEqual([]);
  });

  it('has the $defs the validator maps errors by, and only inlinable ones among them', () => {
    const defs = at('/$defs');
    expect(Object.keys(defs).sort()).toEqual(
      ['alerts', 'date', 'defaults', 'duration', 'envMap', 'envName', 'expression', 'matrix', 'pipelineName', 'retries', 'schedule', 'task', 'taskName'].sort(),
    );
    // ajv inlines a $ref'd schema that holds no $ref itself, and then reports its errors at `#/$defs/<name>/…`;
    // src/validate/schema.ts finds `duration`, `taskName`, `pipelineName`, `date` and `envName` errors by that path.
    for (const name of ['duration', 'taskName', 'pipelineName', 'date', 'envName']) {
      expect(JSON.stringify(defs[name])).not.toContain('$ref');
    }
  });

  it('holds examples and defaults that are valid against their own schema', () => {
    const wrong: string[] = [];
    for (const { node, pointer } of subschemas(schema)) {
      if (!isSchema(node)) continue;
      const samples = [...(Array.isArray(node.examples) ? node.examples : []), ...('default' in node ? [node.default] : [])];
      if (samples.length === 0) continue;
      const check = ajv.getSchema(`${ID}#${pointer}`);
      if (check === undefined) throw new Error(`cannot compile ${pointer}`);
      for (const sample of samples) if (!check(sample)) wrong.push(`${pointer}: ${JSON.stringify(sample)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('names the same keys as the tables of docs/language.md', () => {
    const docs = readFileSync(join(REPO, 'docs/language.md'), 'utf8');
    const section = (title: string) => docs.slice(docs.indexOf(title), docs.indexOf('\n## ', docs.indexOf(title) + 1));
    const tableKeys = (text: string) => [...text.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]).sort();
    const keys = (pointer: string) => Object.keys(at(pointer).properties as Schema).sort();
    expect(tableKeys(section('## Top level'))).toEqual(keys('').filter((k) => k !== '$schema'));
    expect(tableKeys(section('## Tasks'))).toEqual(keys('/$defs/task'));
    const defaultsRow = /^\| `defaults` \|[^|]*\| (.*) \|$/m.exec(docs)?.[1] ?? '';
    expect([...defaultsRow.matchAll(/`([^`]+)`/g)].map((m) => m[1]).sort()).toEqual(keys('/$defs/defaults'));
    const schedule = section('### `schedule`');
    for (const key of keys('/$defs/schedule')) expect(schedule).toContain(`\`${key}\``);
    const retriesRow = /^\| `retries` \|.*$/m.exec(docs)?.[0] ?? '';
    for (const key of keys('/$defs/retries')) expect(retriesRow).toContain(`\`${key}\``);
  });
});

describe('generated from the schema', () => {
  it.each([
    ['src/validate/pipeline.generated.ts', 'scripts/gen-types.mjs'],
    ['src/validate/schema-validator.generated.ts', 'scripts/gen-validator.mjs'],
  ])('%s is what %s generates (run `npm run gen` after changing the schema)', (_, script) => {
    const result = spawnSync(process.execPath, [join(REPO, script), '--check'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('valid pipelines', () => {
  const fixtures = readdirSync(VALID_FIXTURES, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f));

  it('includes the DESIGN.md example', () => {
    expect(fixtures).toContain('design-example.yml');
  });

  it.each(fixtures)('test/fixtures/valid/%s matches the schema', (file) => {
    expect(errorsOf(readFileSync(join(VALID_FIXTURES, file), 'utf8'))).toEqual([]);
  });

  it.each([
    ['the smallest pipeline', 'version: 1\ntasks:\n  hello: { run: echo hello }\n'],
    ['an editor $schema key', '$schema: ../schema/pipeline.schema.json\nversion: 1\ntasks:\n  a: { run: x }\n'],
    ['args instead of run', task('args: [python, train.py, "${{ run.ds }}"]')],
    ['a single need as a string', 'version: 1\ntasks:\n  a: { run: x }\n  b: { needs: a, run: y }\n'],
    ['every duration form', task('run: x\ntimeout: 1h30m\nretries: { delay: 500ms, max_delay: 90 }')],
    ['a fractional number of seconds', task('run: x\ntimeout: 0.5')],
    ['retries as a number', task('run: x\nretries: 2')],
    ['retries on exit codes and timeouts', task('run: x\nretries: { attempts: 2, backoff: exponential, jitter: true, on: [1, 137, timeout] }')],
    ['if as an expression without ${{ }}', task('run: x\nif: params.deploy')],
    ['if as a boolean', task('run: x\nif: false')],
    ['env of strings, numbers and booleans', 'version: 1\nenv: { A: x, B_2: 3, _C: true }\ntasks:\n  a: { run: x, env: { D: "${{ run.ds }}" } }\n'],
    ['params of any JSON', 'version: 1\nparams: { a: [1, { b: null }], c: 0.5, "d e": ~ }\ntasks:\n  a: { run: x }\n'],
    [
      'the matrix of docs/language.md',
      task(
        'run: x\nmatrix:\n  model: ${{ params.models }}\n  region: [eu, us]\n  size: { from: config/sizes.json }\n  include: [{ model: xgboost, region: ap }]\n  exclude: [{ model: random_forest, region: us }]',
      ),
    ],
    ['an empty axis (refused when compiling, not here)', task('run: x\nmatrix: { model: [] }')],
    [
      'every schedule and defaults key',
      'version: 1\nname: a.b_c-1\nschedule: { cron: "0 2 * * *", timezone: Europe/Paris, start: 2024-01-01, end: 2024-12-31, catchup: true, max_active_runs: 4 }\n' +
        'defaults: { timeout: 2h, retries: 1, shell: sh, working-directory: ml, env: { A: b }, cache: false }\ntasks:\n  a: { run: x }\n',
    ],
  ])('accepts %s', (_, yaml) => {
    expect(errorsOf(yaml)).toEqual([]);
  });
});

/*
 * ajv compiles a $ref'd definition that holds a $ref itself (task, retries, schedule, defaults) as a function
 * of its own, so its errors' schemaPath starts at that definition (`#/not`, `#/properties/backoff/enum`). A
 * definition without a $ref (duration, taskName, pipelineName, date, expression, envMap, matrix) is inlined,
 * and its errors' schemaPath is `#/$defs/<name>/…`.
 */
describe('invalid pipelines: one ajv error per problem, with the keyword and schemaPath the validator maps', () => {
  const one = (keyword: string, instancePath: string, schemaPath: string, params?: Record<string, unknown>) => [
    expect.objectContaining({ keyword, instancePath, schemaPath, ...(params === undefined ? {} : { params }) }),
  ];

  it('a misspelt key → additionalProperties', () => {
    expect(errorsOf(task('run: x\nretires: 3'))).toEqual(one('additionalProperties', '/tasks/train', '#/additionalProperties', { additionalProperty: 'retires' }));
    expect(errorsOf('version: 1\ntasks: { a: { run: x } }\nschedul: { cron: x }\n')).toEqual(
      one('additionalProperties', '', '#/additionalProperties', { additionalProperty: 'schedul' }),
    );
  });

  it('no tasks → required', () => {
    expect(errorsOf('version: 1\n')).toEqual(one('required', '', '#/required', { missingProperty: 'tasks' }));
  });

  it('an empty tasks map → minProperties', () => {
    expect(errorsOf('version: 1\ntasks: {}\n')).toEqual(one('minProperties', '/tasks', '#/properties/tasks/minProperties'));
  });

  it('version 2 → const', () => {
    expect(errorsOf('version: 2\ntasks: { a: { run: x } }\n')).toEqual(one('const', '/version', '#/properties/version/const', { allowedValue: 1 }));
  });

  it('a bad duration → pattern at $defs/duration', () => {
    expect(errorsOf(task('run: x\ntimeout: 2 hours'))).toEqual(one('pattern', '/tasks/train/timeout', '#/$defs/duration/pattern'));
    expect(errorsOf('version: 1\ndefaults: { retries: { delay: 1x } }\ntasks: { a: { run: x } }\n')).toEqual(
      one('pattern', '/defaults/retries/delay', '#/$defs/duration/pattern'),
    );
    expect(errorsOf(task('run: x\ntimeout: -1'))).toEqual(one('minimum', '/tasks/train/timeout', '#/$defs/duration/minimum'));
    expect(errorsOf(task('run: x\ntimeout: [1]'))).toEqual(one('type', '/tasks/train/timeout', '#/$defs/duration/type'));
  });

  it('both run and args → not', () => {
    expect(errorsOf(task('run: x\nargs: [y]'))).toEqual(one('not', '/tasks/train', '#/not'));
  });

  it('neither run nor args → anyOf, with one bare `required` per branch (folded into one message)', () => {
    expect(errorsOf(task('needs: []'))).toEqual([
      expect.objectContaining({ keyword: 'required', instancePath: '/tasks/train', schemaPath: '#/anyOf/0/required', params: { missingProperty: 'run' } }),
      expect.objectContaining({ keyword: 'required', instancePath: '/tasks/train', schemaPath: '#/anyOf/1/required', params: { missingProperty: 'args' } }),
      expect.objectContaining({ keyword: 'anyOf', instancePath: '/tasks/train', schemaPath: '#/anyOf' }),
    ]);
  });

  it('a bad task name → pattern at $defs/taskName (with propertyName), then propertyNames', () => {
    expect(errorsOf('version: 1\ntasks:\n  1st-step: { run: x }\n')).toEqual([
      expect.objectContaining({ keyword: 'pattern', instancePath: '/tasks', schemaPath: '#/$defs/taskName/pattern', propertyName: '1st-step' }),
      expect.objectContaining({ keyword: 'propertyNames', instancePath: '/tasks', schemaPath: '#/properties/tasks/propertyNames', params: { propertyName: '1st-step' } }),
    ]);
    expect(errorsOf('version: 1\ntasks:\n  a: { run: x, needs: [b, 2c] }\n')).toEqual(one('pattern', '/tasks/a/needs/1', '#/$defs/taskName/pattern'));
  });

  it('a bad environment variable name, in env or in secrets → pattern at $defs/envName', () => {
    expect(errorsOf(task('run: x\nenv: { MODEL-DIR: m }'))).toEqual([
      expect.objectContaining({ keyword: 'pattern', instancePath: '/tasks/train/env', schemaPath: '#/$defs/envName/pattern', propertyName: 'MODEL-DIR' }),
      expect.objectContaining({ keyword: 'propertyNames', instancePath: '/tasks/train/env' }),
    ]);
    expect(errorsOf('version: 1\nsecrets: [API_TOKEN, API-KEY]\ntasks: { a: { run: x } }\n')).toEqual(one('pattern', '/secrets/1', '#/$defs/envName/pattern'));
    expect(errorsOf('version: 1\nsecrets: [API_TOKEN, API_TOKEN]\ntasks: { a: { run: x } }\n')).toEqual(one('uniqueItems', '/secrets', '#/properties/secrets/uniqueItems'));
  });

  it('a bad pipeline name or date → pattern at $defs/pipelineName and $defs/date', () => {
    expect(errorsOf('version: 1\nname: Churn Model\ntasks: { a: { run: x } }\n')).toEqual(one('pattern', '/name', '#/$defs/pipelineName/pattern'));
    expect(errorsOf('version: 1\nschedule: { cron: "@daily", start: 2024-1-1 }\ntasks: { a: { run: x } }\n')).toEqual(
      one('pattern', '/schedule/start', '#/$defs/date/pattern'),
    );
  });

  it('a wrong type → one type error listing every accepted type', () => {
    expect(errorsOf(task('run: x\nneeds: { extract: true }'))).toEqual(one('type', '/tasks/train/needs', '#/properties/needs/type', { type: ['string', 'array'] }));
    expect(errorsOf(task('run: x\nif: 3'))).toEqual(one('type', '/tasks/train/if', '#/$defs/expression/type', { type: ['string', 'boolean'] }));
    expect(errorsOf(task('run: x\nretries: "3"'))).toEqual(one('type', '/tasks/train/retries', '#/type', { type: ['integer', 'object'] }));
    expect(errorsOf(task('run: x\nmatrix: { model: 3 }'))).toEqual(
      one('type', '/tasks/train/matrix/model', '#/$defs/matrix/additionalProperties/type', { type: ['array', 'string', 'object'] }),
    );
    // envMap holds a $ref (to envName), so ajv compiles it on its own: its paths start at its own `#/`.
    expect(errorsOf(task('run: x\nenv: { A: [1] }'))).toEqual(one('type', '/tasks/train/env/A', '#/additionalProperties/type'));
  });

  it('values out of their range or set', () => {
    expect(errorsOf(task('run: x\nretries: { backoff: linear }'))).toEqual(one('enum', '/tasks/train/retries/backoff', '#/properties/backoff/enum'));
    expect(errorsOf(task('run: x\nretries: -1'))).toEqual(one('minimum', '/tasks/train/retries', '#/minimum'));
    expect(errorsOf(task('run: x\nretries: { on: [0, 256, timeot] }'))).toEqual([
      expect.objectContaining({ keyword: 'minimum', instancePath: '/tasks/train/retries/on/0', schemaPath: '#/properties/on/items/minimum' }),
      expect.objectContaining({ keyword: 'maximum', instancePath: '/tasks/train/retries/on/1', schemaPath: '#/properties/on/items/maximum' }),
      expect.objectContaining({ keyword: 'pattern', instancePath: '/tasks/train/retries/on/2', schemaPath: '#/properties/on/items/pattern' }),
    ]);
    expect(errorsOf('version: 1\nschedule: { cron: "@daily", max_active_runs: 0 }\ntasks: { a: { run: x } }\n')).toEqual(
      one('minimum', '/schedule/max_active_runs', '#/properties/max_active_runs/minimum'),
    );
    expect(errorsOf(task('args: []'))).toEqual(one('minItems', '/tasks/train/args', '#/properties/args/minItems'));
    expect(errorsOf('version: 1\ntasks:\n  a: { run: x }\n  b: { run: x, needs: [a, a] }\n')).toEqual(one('uniqueItems', '/tasks/b/needs', '#/properties/needs/uniqueItems'));
  });

  it('a schedule without cron, and a matrix file axis with a misspelt key', () => {
    expect(errorsOf('version: 1\nschedule: { start: 2024-01-01 }\ntasks: { a: { run: x } }\n')).toEqual(
      one('required', '/schedule', '#/required', { missingProperty: 'cron' }),
    );
    expect(errorsOf(task('run: x\nmatrix: { size: { form: sizes.json } }'))).toEqual([
      expect.objectContaining({ keyword: 'required', instancePath: '/tasks/train/matrix/size', params: { missingProperty: 'from' } }),
      expect.objectContaining({ keyword: 'additionalProperties', instancePath: '/tasks/train/matrix/size', params: { additionalProperty: 'form' } }),
    ]);
  });
});
