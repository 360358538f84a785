import { describe, expect, it } from 'vitest';
import { repoPath } from '../../src/compile/paths.js';

describe('repoPath', () => {
  const root = '/repo';
  it('normalizes paths inside the repository', () => {
    expect(repoPath('./data//raw/../x.csv', 'pipelines', root)).toEqual({ path: 'data/x.csv' });
    expect(repoPath('../data/x.csv', 'pipelines', root)).toEqual({ path: '../data/x.csv' });
    expect(repoPath('data/**/*.csv', '', root)).toEqual({ path: 'data/**/*.csv' });
  });
  it('refuses absolute paths and paths that climb out', () => {
    expect(repoPath('/etc/passwd', '', root)).toHaveProperty('refused');
    expect(repoPath('../../etc/passwd', 'pipelines', root)).toHaveProperty('refused');
    expect(repoPath('../*/x', '', root)).toHaveProperty('refused');
    expect(repoPath('C:\\Windows', '', root)).toHaveProperty('refused');
  });
});
