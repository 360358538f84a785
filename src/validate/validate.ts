import { compile, defaultName, type CompileOptions } from '../compile/compile.js';
import type { Graph } from '../compile/graph.js';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { locate, type Document } from '../parse/document.js';
import { fail, type Result } from '../result.js';
import type { PipelineDocument } from './pipeline.generated.js';
import { checkSchema } from './schema.js';
import { checkSemantics } from './semantics.js';

/**
 * Schema, then semantics, then a trial compile (duplicate ids and matrix problems only show once the matrix is
 * expanded). Each step runs only on what the previous one accepted, and reports everything it finds.
 */
export function validatePipeline(doc: Document, options: CompileOptions): Result<Graph, Diagnostic[]> {
  const schema = checkSchema(doc);
  if (schema.length > 0) return fail(schema);
  const semantic = checkSemantics(doc, doc.value as unknown as PipelineDocument);
  if (semantic.length > 0) return fail(semantic);
  return compile(doc, options);
}

export interface Validation {
  graphs: Graph[];
  diagnostics: Diagnostic[];
}

/** `rootOf` gives each pipeline's repository root: pipelines named from elsewhere keep their own. */
export function validatePipelines(docs: readonly Document[], options: Omit<CompileOptions, 'root'>, rootOf: (doc: Document) => string): Validation {
  const validation: Validation = { graphs: [], diagnostics: duplicateNames(docs) };
  for (const doc of docs) {
    const result = validatePipeline(doc, { ...options, root: rootOf(doc) });
    if (result.ok) validation.graphs.push(result.value);
    else validation.diagnostics.push(...result.error);
  }
  return validation;
}

export const pipelineName = (doc: Document): string =>
  typeof doc.value.name === 'string' ? doc.value.name : defaultName(doc.path);

function duplicateNames(docs: readonly Document[]): Diagnostic[] {
  const first = new Map<string, Document>();
  return docs.flatMap((doc) => {
    const name = pipelineName(doc);
    const earlier = first.get(name);
    if (earlier === undefined) {
      first.set(name, doc);
      return [];
    }
    const at = typeof doc.value.name === 'string' ? locate(doc, ['name']) : locate(doc, []);
    return [error('DAG053', `another pipeline is also named \`${name}\` (${earlier.file})`, at, 'give each pipeline its own `name`')];
  });
}
