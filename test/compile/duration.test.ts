import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/compile/duration.js';

describe('parseDuration', () => {
  it('reads units and combinations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration(1.5)).toBe(1500);
  });
  it('refuses what is not a duration', () => {
    for (const bad of ['2 hours', '10', 'h', '-5s', '1.5h', '']) expect(parseDuration(bad)).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
  });
});
