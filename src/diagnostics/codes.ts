/**
 * Every diagnostic code Dagline can print. Codes are stable: a code is never reused for another meaning.
 * Each one is documented with a bad and a fixed example in docs/errors.md (a test keeps the two in step).
 */
export const CODES = {
  // parse
  DAG001: 'YAML syntax error',
  DAG002: 'duplicate key',
  DAG003: 'too many aliases (alias explosion)',
  DAG004: 'file too large',
  DAG005: 'root is not a mapping',
  DAG006: 'cannot read file',
  DAG007: 'no pipeline files found',
  DAG008: 'nesting too deep',
  // schema
  DAG010: 'unknown key',
  DAG011: 'missing required key',
  DAG012: 'wrong type',
  DAG013: 'value not allowed',
  DAG014: 'invalid name',
  DAG015: 'invalid duration',
  DAG016: 'value out of range',
  DAG017: 'task needs exactly one of run or args',
  DAG018: 'unsupported version',
  DAG019: 'invalid date',
  // semantics
  DAG040: 'unknown task in needs',
  DAG041: 'dependency cycle',
  DAG042: 'task needs itself',
  DAG043: 'duplicate task id',
  DAG044: 'empty matrix axis',
  DAG045: 'invalid cron expression',
  DAG046: 'unknown timezone',
  DAG047: 'expression syntax error',
  DAG048: 'unknown name in expression',
  DAG049: 'output of a task that is not needed',
  DAG050: 'path escapes the repository',
  DAG051: 'unknown function',
  DAG052: 'matrix include/exclude names an unknown axis',
  DAG053: 'duplicate pipeline name',
  DAG054: 'status function outside if',
  DAG055: 'secret given a value in the pipeline',
  // compile
  DAG070: 'matrix file cannot be read',
  DAG071: 'matrix axis is not a list',
  DAG072: 'expression cannot be evaluated',
  DAG073: 'too many tasks',
  DAG074: 'invalid matrix value',
  DAG075: 'no matching matrix instance to need',
  // usage
  DAG090: 'bad usage',
  DAG091: 'path not found',
  DAG092: 'invalid --param',
  DAG093: 'invalid --date',
  DAG094: 'more than one pipeline',
} as const;

export type Code = keyof typeof CODES;
