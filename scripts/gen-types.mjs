#!/usr/bin/env node
// Generates src/validate/pipeline.generated.ts from schema/pipeline.schema.json.
//
//   node scripts/gen-types.mjs           (npm run gen) writes the file
//   node scripts/gen-types.mjs --check   exits 1 if the file on disk is not what would be generated
//
// The schema is the single source of truth. Before handing it to json-schema-to-typescript, a copy is adjusted
// where the TypeScript would otherwise be wrong or badly named; the schema file itself is never changed:
//   - annotations next to a `$ref` (description, examples, …) are dropped, so every use of a `$defs` entry
//     gets that entry's named type instead of an anonymous copy;
//   - the run/args rule of `task` (`not` + `anyOf` of bare `required`s) is dropped: json-schema-to-typescript
//     would turn it into an open index-signature type; ajv enforces it, the type keeps both keys optional;
//   - TYPE_OVERRIDES say what json-schema-to-typescript cannot infer (a string that must be exactly "timeout",
//     a schema that is only a description and so accepts any value).
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from 'json-schema-to-typescript';

const SCHEMA = fileURLToPath(new URL('../schema/pipeline.schema.json', import.meta.url));
const OUTPUT = fileURLToPath(new URL('../src/validate/pipeline.generated.ts', import.meta.url));
const ROOT_NAME = 'PipelineDocument';

const BANNER = `/* eslint-disable */
/**
 * GENERATED FILE, DO NOT EDIT.
 * Generated from schema/pipeline.schema.json by scripts/gen-types.mjs; run \`npm run gen\` after changing
 * the schema (\`node scripts/gen-types.mjs --check\` fails when this file is stale).
 */`;

/** `$defs` key → exported type name (anything not listed: the key in PascalCase). */
const TYPE_NAMES = {
  date: 'IsoDate', // not `Date`, which would shadow the global in any module that imports it
  envMap: 'EnvMap',
};

/** JSON pointer (into the schema) → TypeScript type, for what a type union cannot express. */
const TYPE_OVERRIDES = {
  '/properties/params/additionalProperties': 'unknown', // any JSON value (the schema only describes it)
  '/$defs/retries/properties/on/items': 'number | "timeout"',
};

const ANNOTATIONS = ['description', 'examples', 'default', '$comment', 'title', 'deprecated', 'readOnly', 'writeOnly'];

const pascal = (key) => key.replace(/(?:^|[_-])([a-z0-9])/gi, (_, c) => c.toUpperCase());

/** A deep copy of the schema, adjusted for json-schema-to-typescript (see the top of this file). */
export function prepare(schema) {
  const copy = structuredClone(schema);
  (function strip(node) {
    if (Array.isArray(node)) return node.forEach(strip);
    if (node === null || typeof node !== 'object') return;
    if (typeof node.$ref === 'string') for (const key of ANNOTATIONS) delete node[key];
    Object.values(node).forEach(strip);
  })(copy);
  const task = copy.$defs?.task;
  if (task?.not === undefined || task?.anyOf === undefined) throw new Error('gen-types: $defs/task has no run/args rule to drop; update scripts/gen-types.mjs');
  delete task.not;
  delete task.anyOf;
  for (const [pointer, tsType] of Object.entries(TYPE_OVERRIDES)) {
    const node = pointer
      .split('/')
      .slice(1)
      .reduce((at, segment) => at?.[segment.replaceAll('~1', '/').replaceAll('~0', '~')], copy);
    if (node === undefined) throw new Error(`gen-types: TYPE_OVERRIDES names ${pointer}, which is not in the schema`);
    node.tsType = tsType;
  }
  return copy;
}

/** The TypeScript source generated from a schema object. */
export async function generate(schema) {
  return compile(prepare(schema), ROOT_NAME, {
    bannerComment: BANNER,
    additionalProperties: false,
    // Off on purpose: tsconfig's noUncheckedIndexedAccess already makes `spec.tasks[name]` `Task | undefined`,
    // while `| undefined` in the index signature itself would also leak into Object.entries/Object.values
    // (`for (const [name, task] of Object.entries(spec.tasks))` would see `Task | undefined`).
    strictIndexSignatures: false,
    unreachableDefinitions: false,
    unknownAny: true,
    format: true,
    cwd: fileURLToPath(new URL('../schema/', import.meta.url)),
    customName: (node, definitionKey) => {
      if (node.$id === schema.$id) return ROOT_NAME;
      if (definitionKey !== undefined) return TYPE_NAMES[definitionKey] ?? pascal(definitionKey);
      return undefined;
    },
  });
}

async function main() {
  const check = process.argv.includes('--check');
  const schema = JSON.parse(await readFile(SCHEMA, 'utf8'));
  const source = await generate(schema);
  const relative = 'src/validate/pipeline.generated.ts';
  if (check) {
    const current = await readFile(OUTPUT, 'utf8').catch(() => undefined);
    if (current === source) return;
    process.stderr.write(`${relative} is ${current === undefined ? 'missing' : 'out of date'}; run \`npm run gen\`\n`);
    process.exitCode = 1;
    return;
  }
  await writeFile(OUTPUT, source);
  process.stdout.write(`wrote ${relative}\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((e) => {
    process.stderr.write(`gen-types: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  });
}
