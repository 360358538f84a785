import { isAbsolute, posix, relative, resolve, sep } from 'node:path';

const GLOB_CHARS = /[*?[\]{}]/;

/**
 * Normalizes a path written relative to the pipeline's folder, or says why it is refused: absolute paths and
 * paths that climb out of the repository could read or overwrite anything on the runner.
 */
export function repoPath(written: string, pipelineDir: string, root: string): { path: string } | { refused: string } {
  if (isAbsolute(written) || /^[A-Za-z]:[\\/]/.test(written)) {
    return { refused: `\`${written}\` is an absolute path; write it relative to the pipeline's folder` };
  }
  const normalized = posix.normalize(written.replaceAll('\\', '/'));
  const staticPart = normalized.split('/').filter((_, i, all) => !all.slice(0, i + 1).some((s) => GLOB_CHARS.test(s)));
  const target = resolve(root, pipelineDir, ...staticPart);
  const fromRoot = relative(root, target);
  if (fromRoot === '..' || fromRoot.startsWith(`..${sep}`) || isAbsolute(fromRoot)) {
    return { refused: `\`${written}\` is outside the repository` };
  }
  return { path: normalized === '.' ? '.' : normalized.replace(/\/$/, '') };
}
