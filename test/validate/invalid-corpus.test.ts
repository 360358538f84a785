/**
 * The invalid-pipeline corpus: every file in test/fixtures/invalid/ is one realistic pipeline with one problem.
 * Its first lines say what the REAL built CLI must report for it:
 *
 *   # expect: DAG010 6:5                 one line per diagnostic, in file order; together they are ALL the
 *                                        diagnostics of the file (`# expect: none`: the file is valid on its own)
 *   # message: did you mean `retries`    optional: the first diagnostic's message contains this text
 *   # known-bug(diagnostics): …          the validator does not do this yet (wrong code or position): the
 *   # known-bug(message): …              test is expected to fail, and turns red once the bug is fixed, so
 *                                        the marker can be removed
 *
 * The CLI runs once over the whole folder in each format (`npm test` builds first). Problems that cannot be a
 * committed fixture (a file over 4 MiB, an unreadable file, a folder without pipelines) are generated in temp
 * dirs below.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODES, type Code } from '../../src/diagnostics/codes.js';
import { dagline, repository, REPO, type CliResult } from '../helpers/cli.js';

const CORPUS = 'test/fixtures/invalid';

interface JsonDiagnostic {
  code: string;
  message: string;
  hint?: string;
  location?: { file: string; start: { line: number; col: number } };
}

interface Fixture {
  /** Path relative to the repository root, with `/`, as the CLI prints it. */
  file: string;
  expected: { code: string; line: number; col: number }[];
  /** `# expect: none`: valid on its own (one half of a pair, such as two files with the same name). */
  none: boolean;
  message?: string;
  bug: { diagnostics?: string; message?: string };
}

// ---------------------------------------------------------------- fixtures

function pipelineFiles(folder: string): string[] {
  return readdirSync(join(REPO, folder), { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .flatMap((entry) => {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) return pipelineFiles(path);
      return /\.ya?ml$/.test(entry.name) ? [path] : []; // data files for matrix `from:` are .json
    })
    .sort();
}

function readFixture(file: string): Fixture {
  const lines = readFileSync(join(REPO, file), 'utf8').split(/\r?\n/);
  if (!lines[0]?.startsWith('# expect:')) throw new Error(`${file}: the first line must be \`# expect: CODE line:col\``);
  const fixture: Fixture = { file, expected: [], none: false, bug: {} };
  for (const line of lines) {
    const header = /^# (expect|message|known-bug\((diagnostics|message)\)): (.*)$/.exec(line);
    if (header === null) break;
    const [, key = '', bugKind, value = ''] = header;
    if (key === 'expect') {
      if (/^none\b/.test(value)) {
        fixture.none = true;
        continue;
      }
      const expect = /^(DAG\d{3}) (\d+):(\d+)$/.exec(value);
      if (expect === null) throw new Error(`${file}: cannot read \`# expect: ${value}\``);
      fixture.expected.push({ code: expect[1] ?? '', line: Number(expect[2]), col: Number(expect[3]) });
    } else if (key === 'message') {
      fixture.message = value;
    } else if (bugKind === 'diagnostics' || bugKind === 'message') {
      fixture.bug[bugKind] = value;
    }
  }
  return fixture;
}

const FIXTURES = pipelineFiles(CORPUS).map(readFixture);
const brief = (d: { code: string; line: number; col: number }) => `${d.code} ${d.line}:${d.col}`;
const label = (f: Fixture) => `${relative(CORPUS, f.file)}: ${f.expected.map(brief).join(', ') || 'no diagnostics'}`;

// ---------------------------------------------------------------- the CLI, run once per format

const once = <T>(run: () => T): (() => T) => {
  let result: { value: T } | undefined;
  return () => (result ??= { value: run() }).value;
};

const jsonRun = once(() => dagline(['validate', CORPUS, '--format', 'json']));
const textRun = once(() => dagline(['validate', CORPUS]));
const jsonDiagnostics = once(() => parseJson(jsonRun()));

function parseJson(result: CliResult): JsonDiagnostic[] {
  return (JSON.parse(result.stdout) as { diagnostics: JsonDiagnostic[] }).diagnostics;
}

const diagnosticsOf = (file: string) => jsonDiagnostics().filter((d) => d.location?.file === file);

const positions = (diagnostics: JsonDiagnostic[]) =>
  diagnostics.map((d) => `${d.code} ${d.location?.start.line ?? '?'}:${d.location?.start.col ?? '?'}`);

// ---------------------------------------------------------------- what every run must look like

/** ajv's own wording, which the validator is supposed to translate into words a pipeline author uses. */
const RAW_AJV = [
  /must NOT have/,
  /must have required property/,
  /must be equal to (one of the allowed values|constant)/,
  /must match (pattern|format|exactly one schema|a schema in anyOf|"then" schema|"else" schema)/,
  /must be (>=|<=|>|<) -?\d/,
  /must be (string|number|integer|boolean|object|array|null)\b/,
  /items ## \d+/,
  /must pass ".+" keyword validation/,
  /property name must be valid/,
  /must be multiple of/,
];

function expectHumanMessage(d: JsonDiagnostic): void {
  const message = d.message.trim();
  expect(message, `${d.code}: empty message`).not.toBe('');
  expect(message, `${d.code}: not text`).toMatch(/[a-z]{3,}/i);
  expect(message).not.toMatch(/\bundefined\b|\[object \w+\]|\bNaN\b/);
  for (const raw of RAW_AJV) expect(message, `${d.code}: raw ajv phrasing`).not.toMatch(raw);
}

function expectNoCrash(result: CliResult): void {
  for (const output of [result.stdout, result.stderr]) {
    expect(output).not.toMatch(/^ {4}at /m); // a stack trace
    expect(output).not.toMatch(/\b(TypeError|ReferenceError|RangeError|SyntaxError)\b|internal error/);
  }
}

// ---------------------------------------------------------------- the corpus

describe(`dagline validate ${CORPUS}`, () => {
  it('holds at least 45 fixtures, each expecting a diagnostic unless it says `# expect: none`', () => {
    expect(FIXTURES.length).toBeGreaterThanOrEqual(45);
    expect(FIXTURES.filter((f) => f.expected.length === 0 && !f.none).map((f) => f.file)).toEqual([]);
  });

  it('exits 1 in both formats, with no stack trace', () => {
    for (const result of [jsonRun(), textRun()]) {
      expect(result.status).toBe(1);
      expectNoCrash(result);
    }
    expect(jsonRun().stderr).toBe('');
    expect(textRun().stdout).toBe('');
  });

  it('reports nothing about files that are not fixtures (the matrix data files are .json)', () => {
    const files = new Set(FIXTURES.map((f) => f.file));
    expect(jsonDiagnostics().filter((d) => !files.has(d.location?.file ?? '')).map((d) => d.location?.file)).toEqual([]);
  });

  describe('reports exactly the expected diagnostics, in JSON and as `file:line:col: error CODE:` text', () => {
    const check = (f: Fixture) => {
      expect(positions(diagnosticsOf(f.file))).toEqual(f.expected.map(brief));
      for (const d of f.expected) expect(textRun().stderr).toContain(`${f.file}:${d.line}:${d.col}: error ${d.code}: `);
    };
    const cases = (bug: boolean) => FIXTURES.filter((f) => (f.bug.diagnostics !== undefined) === bug).map((f) => [label(f), f] as const);
    it.each(cases(false))('%s', (_, f) => check(f));
    // Known validator bugs (see each file's `# known-bug(diagnostics):` line): red once fixed, then drop the marker.
    it.fails.each(cases(true))('%s (known bug)', (_, f) => check(f));
  });

  describe('explains each problem in words', () => {
    const check = (f: Fixture) => {
      const found = diagnosticsOf(f.file);
      for (const d of found) expectHumanMessage(d);
      if (f.message !== undefined) expect(found[0]?.message).toContain(f.message);
    };
    const cases = (bug: boolean) => FIXTURES.filter((f) => (f.bug.message !== undefined) === bug).map((f) => [relative(CORPUS, f.file), f] as const);
    it.each(cases(false))('%s', (_, f) => check(f));
    it.fails.each(cases(true))('%s (known bug)', (_, f) => check(f));
  });
});

// ---------------------------------------------------------------- problems a committed fixture cannot hold

const PIPELINE = 'version: 1\ntasks:\n  train:\n    run: python scripts/train.py\n';

interface Generated {
  name: string;
  result: () => Promise<CliResult> | CliResult;
  expected: { file: string | undefined; code: Code; line?: number; col?: number }[];
}

const GENERATED: Generated[] = [
  {
    name: 'DAG004: a pipeline over 4 MiB is refused before it is read',
    result: once(() => {
      const padding = '# feature list, written out by hand\n'.repeat(Math.ceil((4 * 1024 * 1024) / 36) + 10);
      const repo = repository({ 'pipelines/features.yml': PIPELINE + padding });
      return dagline(['validate', 'pipelines', '--format', 'json'], { cwd: repo });
    }),
    expected: [{ file: 'pipelines/features.yml', code: 'DAG004', line: 1, col: 1 }],
  },
  {
    // A folder named like a pipeline (`train.yml/`) is searched like any folder (DAG007 below), and root reads
    // any file whatever its mode, so the unreadable file is a Unix socket: stat works, open fails with ENXIO.
    name: 'DAG006: a pipeline path that exists but cannot be read',
    result: once(async () => {
      const repo = repository({ 'pipelines/README.md': 'pipelines\n' });
      const server = createServer();
      await new Promise<void>((done) => server.listen(join(repo, 'pipelines/train.yml'), done));
      try {
        return dagline(['validate', 'pipelines/train.yml', '--format', 'json'], { cwd: repo });
      } finally {
        server.close();
      }
    }),
    expected: [{ file: 'pipelines/train.yml', code: 'DAG006', line: 1, col: 1 }],
  },
  {
    name: 'DAG007: a folder holding no *.yml / *.yaml',
    result: once(() => {
      const repo = repository({ 'pipelines/README.md': 'the pipelines will go here\n', 'pipelines/config/models.json': '["xgboost"]\n' });
      return dagline(['validate', 'pipelines', '--format', 'json'], { cwd: repo });
    }),
    expected: [{ file: undefined, code: 'DAG007' }],
  },
  {
    name: 'DAG007: a folder named like a pipeline file',
    result: once(() => {
      const repo = repository({ 'README.md': 'churn\n' });
      mkdirSync(join(repo, 'train.yml'));
      writeFileSync(join(repo, 'train.yml', 'notes.txt'), 'not a pipeline\n');
      return dagline(['validate', 'train.yml', '--format', 'json'], { cwd: repo });
    }),
    expected: [{ file: undefined, code: 'DAG007' }],
  },
];

const generatedRuns = GENERATED.filter((g) => process.platform !== 'win32' || !g.name.startsWith('DAG006'));

describe('problems generated in a temp dir', () => {
  it.each(generatedRuns.map((g) => [g.name, g] as const))('%s', async (_, g) => {
    const result = await g.result();
    expect(result.status).toBe(1);
    expectNoCrash(result);
    const found = parseJson(result);
    expect(found.map((d) => ({ file: d.location?.file, code: d.code, line: d.location?.start.line, col: d.location?.start.col }))).toEqual(
      g.expected.map((e) => ({ file: e.file, code: e.code, line: e.line, col: e.col })),
    );
    for (const d of found) expectHumanMessage(d);
  });
});

// ---------------------------------------------------------------- coverage of the codes

/** Codes no pipeline in this corpus produces, and why. Everything else in codes.ts must be seen. */
const NOT_PRODUCED: Partial<Record<Code, string>> = {
  // Usage errors are about the command line, not a pipeline file: exit code 2, no JSON (test/cli covers them).
  DAG090: 'usage: unknown command or option',
  DAG091: 'usage: path not found',
  DAG092: 'usage: invalid --param',
  DAG093: 'usage: invalid --date',
  DAG094: 'usage: more than one pipeline (graph/plan only)',
  ...(process.platform === 'win32' ? { DAG006: 'needs a Unix socket' } : {}),
};

describe('coverage', () => {
  it('produces every code in codes.ts except the documented exclusions', async () => {
    const seen = new Set<string>(jsonDiagnostics().map((d) => d.code));
    for (const g of generatedRuns) for (const d of parseJson(await g.result())) seen.add(d.code);
    const reachable = Object.keys(CODES).filter((code) => !(code in NOT_PRODUCED));
    expect(reachable.filter((code) => !seen.has(code))).toEqual([]);
    // An excluded code that shows up after all (e.g. DAG008 once fixed) should leave the exclusion list.
    expect([...seen].filter((code) => code in NOT_PRODUCED)).toEqual([]);
  });

  it('has a fixture expecting each code that a committed file can produce', () => {
    const expected = new Set(FIXTURES.flatMap((f) => f.expected.map((e) => e.code)));
    const generated = new Set<string>(GENERATED.flatMap((g) => g.expected.map((e) => e.code)));
    const usage = Object.keys(CODES).filter((code) => /^DAG09\d$/.test(code));
    expect(Object.keys(CODES).filter((code) => !expected.has(code) && !generated.has(code) && !usage.includes(code))).toEqual([]);
  });
});
