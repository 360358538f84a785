#!/usr/bin/env node
// Generates src/validate/schema-validator.generated.ts: the JSON Schema validator compiled ahead of time with
// ajv's standalone code generation, so the CLI does not load and run ajv's compiler at every start (about
// 50 ms of a 250 ms validate on 1,000 tasks).
//
//   node scripts/gen-validator.mjs           writes the file
//   node scripts/gen-validator.mjs --check   exits 1 if the file on disk is not what would be generated
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';

const SCHEMA = fileURLToPath(new URL('../schema/pipeline.schema.json', import.meta.url));
const OUTPUT = fileURLToPath(new URL('../src/validate/schema-validator.generated.ts', import.meta.url));

/** The options src/validate/schema.ts relies on: every error, with the failing schema (verbose). */
export const AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, allowUnionTypes: true, code: { source: true, esm: true } };

async function generate() {
  const ajv = new Ajv2020(AJV_OPTIONS);
  const validate = ajv.compile(JSON.parse(await readFile(SCHEMA, 'utf8')));
  // ajv's ESM output still reaches its runtime helpers with require(); turn those into imports.
  const imports = [];
  // Node hands a CommonJS module's exports object to a default import, bundlers and vitest its `default`.
  const code = standaloneCode.default(ajv, validate).replace(/require\("(ajv\/dist\/runtime\/[a-z0-9]+)"\)\.default/g, (_, path) => {
    const name = `runtime${imports.length}`;
    imports.push(`import ${name} from '${path}.js';`);
    return `(typeof ${name} === 'function' ? ${name} : ${name}.default)`;
  });
  const banner = '// @ts-nocheck\n/* eslint-disable */\n// GENERATED FILE, DO NOT EDIT: scripts/gen-validator.mjs from schema/pipeline.schema.json (npm run gen).';
  return `${banner}\n${imports.join('\n')}\n${code.replace('"use strict";', '')}\n`;
}

async function main() {
  const source = await generate();
  if (process.argv.includes('--check')) {
    const current = await readFile(OUTPUT, 'utf8').catch(() => undefined);
    if (current === source) return;
    process.stderr.write('src/validate/schema-validator.generated.ts is out of date; run `npm run gen`\n');
    process.exitCode = 1;
    return;
  }
  await writeFile(OUTPUT, source);
  process.stdout.write('wrote src/validate/schema-validator.generated.ts\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((e) => {
    process.stderr.write(`gen-validator: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  });
}
