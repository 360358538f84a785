import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/report/run-plain.js';

describe('LineSplitter', () => {
  it('holds a partial line until its newline', () => {
    const s = new LineSplitter();
    expect(s.push('epoch 1')).toEqual([]);
    expect(s.push(' loss=0.3\nepoch')).toEqual(['epoch 1 loss=0.3']);
    expect(s.push(' 2\n\nend')).toEqual(['epoch 2', '']);
    expect(s.flush()).toEqual(['end']);
    expect(s.flush()).toEqual([]);
  });

  it('treats \\r\\n as a newline, even split across chunks', () => {
    const s = new LineSplitter();
    expect(s.push('a\r\nb\r')).toEqual(['a']);
    expect(s.push('\nc')).toEqual(['b']);
    expect(s.flush()).toEqual(['c']);
  });

  it('keeps only the latest state of a \\r progress bar', () => {
    const s = new LineSplitter();
    expect(s.push('\r 10%')).toEqual([]);
    expect(s.push('\r 20%\r 30%')).toEqual([]);
    expect(s.push('\r100%\r\ndone\n')).toEqual(['100%', 'done']);
    s.push('\r 10%\r 20%\r');
    expect(s.flush()).toEqual([' 20%']);
  });

  it('cuts lines longer than its limit', () => {
    const s = new LineSplitter(4);
    expect(s.push('abcdefghij')).toEqual(['abcd', 'efgh']);
    expect(s.push('\n0123456789\n')).toEqual(['ij', '0123', '4567', '89']);
  });
});
