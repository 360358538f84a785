import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasExpressions, isSingleExpression, parseTemplate, type Template } from '../../src/expression/template.js';
import { bin, call, ctx, lit, member, shape } from './trees.js';

function template(text: string): Template {
  const result = parseTemplate(text);
  if (!result.ok) throw new Error(`expected \`${text}\` to parse: ${result.error.message}`);
  return result.value;
}

function errorOf(text: string) {
  const result = parseTemplate(text);
  if (result.ok) throw new Error(`expected \`${text}\` to fail`);
  return result.error;
}

/** Parts with expression trees reduced to shapes, for comparison. */
function parts(text: string) {
  return template(text).parts.map((part) => (part.kind === 'text' ? part : { ...part, expr: shape(part.expr) }));
}

describe('parseTemplate', () => {
  it('keeps text without expressions as one part, and empty text as none', () => {
    expect(parts('python train.py --fast')).toEqual([{ kind: 'text', text: 'python train.py --fast' }]);
    expect(parts('')).toEqual([]);
    expect(parts('cost: $5 and ${HOME} and {{ x }}')).toEqual([{ kind: 'text', text: 'cost: $5 and ${HOME} and {{ x }}' }]);
  });

  it('splits several expressions, with offsets just after each ${{', () => {
    expect(parts('train ${{ matrix.model }} on ${{params.region}}!')).toEqual([
      { kind: 'text', text: 'train ' },
      { kind: 'expr', source: ' matrix.model ', expr: member(ctx('matrix'), 'model'), offset: 9 },
      { kind: 'text', text: ' on ' },
      { kind: 'expr', source: 'params.region', expr: member(ctx('params'), 'region'), offset: 32 },
      { kind: 'text', text: '!' },
    ]);
  });

  it('handles adjacent expressions and expressions at both ends', () => {
    expect(parts('${{ a }}${{ b }}').map((p) => p.kind)).toEqual(['expr', 'expr']);
  });

  it('does not close an expression on }} inside a quoted string', () => {
    expect(parts("x=${{ format('{{{0}}}', a) }} y")).toEqual([
      { kind: 'text', text: 'x=' },
      { kind: 'expr', source: " format('{{{0}}}', a) ", expr: call('format', lit('{{{0}}}'), ctx('a')), offset: 5 },
      { kind: 'text', text: ' y' },
    ]);
    expect(parts("${{ a == 'it''s }}' }}")).toEqual([
      { kind: 'expr', source: " a == 'it''s }}' ", expr: bin('==', ctx('a'), lit("it's }}")), offset: 3 },
    ]);
  });

  it('treats a ${{ inside a quoted string as text of that string', () => {
    expect(parts("${{ '${{' }}")).toEqual([{ kind: 'expr', source: " '${{' ", expr: lit('${{'), offset: 3 }]);
  });

  it('ends an expression at the first }} outside quotes, leaving later braces as text', () => {
    expect(parts('${{ a }}}')).toEqual([
      { kind: 'expr', source: ' a ', expr: ctx('a'), offset: 3 },
      { kind: 'text', text: '}' },
    ]);
  });
});

describe('parseTemplate: errors are relative to the whole text', () => {
  it('points at an unclosed ${{', () => {
    expect(errorOf('echo ${{ a ')).toEqual({ message: '`${{` is never closed; expected `}}`', offset: 5, length: 3 });
    expect(errorOf('${{ a }} and ${{ b')).toEqual({ message: '`${{` is never closed; expected `}}`', offset: 13, length: 3 });
  });

  it('reports an unterminated string that swallowed the }}, rather than an unclosed ${{', () => {
    expect(errorOf("run ${{ 'abc }} more")).toEqual({ message: 'unterminated string', offset: 8, length: 5 });
  });

  it('shifts syntax errors by the position of the expression', () => {
    expect(errorOf('abc ${{ a = b }}')).toEqual({ message: '`=` is not an operator; did you mean `==`?', offset: 10, length: 1 });
    expect(errorOf('echo ${{ params.x == }} done')).toEqual({ message: 'unexpected end of expression — expected a value', offset: 20, length: 0 });
    expect(errorOf('x ${{ }}')).toEqual({ message: 'empty expression', offset: 5, length: 1 });
    expect(errorOf('x ${{}}')).toEqual({ message: 'empty expression', offset: 5, length: 0 });
  });

  it('gives columns within the line of the whole text', () => {
    expect(errorOf('echo one\necho ${{ (a || b }}')).toEqual({
      message: 'expected `)` to close `(` at column 10',
      offset: 25,
      length: 0,
    });
  });

  it('reports the first bad expression', () => {
    expect(errorOf('${{ a }} ${{ ) }} ${{ = }}').offset).toBe(13);
  });
});

describe('isSingleExpression', () => {
  it('returns the part when the text is one expression with only whitespace around it', () => {
    const single = isSingleExpression(template('  ${{ params.models }}\n'));
    expect(single).toMatchObject({ kind: 'expr', source: ' params.models ', offset: 5 });
    expect(isSingleExpression(template('${{ a }}'))).toBeDefined();
  });

  it('returns undefined for mixed text, several expressions or none', () => {
    expect(isSingleExpression(template('v${{ a }}'))).toBeUndefined();
    expect(isSingleExpression(template('${{ a }} ${{ b }}'))).toBeUndefined();
    expect(isSingleExpression(template('plain'))).toBeUndefined();
    expect(isSingleExpression(template(''))).toBeUndefined();
  });
});

describe('hasExpressions', () => {
  it('looks for ${{ only', () => {
    expect(hasExpressions('a ${{ b }}')).toBe(true);
    expect(hasExpressions('a ${{')).toBe(true);
    expect(hasExpressions('a ${ b } {{ c }}')).toBe(false);
  });
});

describe('parseTemplate: robustness', () => {
  const PIECES = ['${{', '}}', ' ', 'a', "'", "''", '{', '}', '$', 'x.y', '==', '(', ')', '\n', "'}}'"];

  it('never throws, and text parts plus expression sources rebuild the input', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 30 }), (pieces) => {
        const text = pieces.join('');
        const result = parseTemplate(text);
        if (!result.ok) {
          expect(result.error.offset + result.error.length).toBeLessThanOrEqual(text.length);
          return;
        }
        const rebuilt = result.value.parts.map((p) => (p.kind === 'text' ? p.text : `\${{${p.source}}}`)).join('');
        expect(rebuilt).toBe(text);
        for (const part of result.value.parts) if (part.kind === 'expr') expect(text.slice(part.offset, part.offset + part.source.length)).toBe(part.source);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => void parseTemplate(text)), { numRuns: 1_000 });
  });
});
