import { existsSync, mkdirSync } from 'node:fs';
import { relative } from 'node:path';
import { callActionsCache } from '../cache/actions-cache-client.js';

/**
 * Small folders (the schedule's state, the run history) carried together from one workflow run to the next
 * through the GitHub Actions cache, as one entry. Cache entries cannot be overwritten, so every run saves under
 * a key of its own (`<prefix><run id>-<attempt>`) and the next one restores the newest entry with the prefix.
 */
export interface CarriedFolder {
  /** Absolute. An entry's version is made of its paths: the same list must be restored as was saved. */
  dirs: string[];
  /** e.g. `dagline-v1-state-`. */
  prefix: string;
}

/** Restores the newest saved copy; false when there is none. Problems are reported through `warn`. */
export async function restoreFolder(folder: CarriedFolder, workspace: string, warn: (message: string) => void): Promise<boolean> {
  const restored = await callActionsCache((cache) => cache.restoreCache(archivePaths(folder, workspace), `${folder.prefix}none`, [folder.prefix]));
  if (!restored.ok) warn(`cannot restore ${folder.prefix}* from the GitHub Actions cache: ${restored.error}`);
  return restored.ok && restored.value !== undefined;
}

/** Saves the folders when any of them exists (the others as empty folders, so the paths stay the same). */
export async function saveFolder(folder: CarriedFolder, workspace: string, runId: string, warn: (message: string) => void): Promise<void> {
  if (!folder.dirs.some((dir) => existsSync(dir))) return;
  for (const dir of folder.dirs) mkdirSync(dir, { recursive: true });
  const saved = await callActionsCache((cache) => cache.saveCache(archivePaths(folder, workspace), `${folder.prefix}${runId}`));
  if (!saved.ok) warn(`cannot save ${folder.prefix}${runId} to the GitHub Actions cache: ${saved.error}`);
}

/** Relative to the workspace, so the entry's version does not depend on where a runner keeps the checkout. */
function archivePaths(folder: CarriedFolder, workspace: string): string[] {
  return folder.dirs.map((dir) => relative(workspace, dir).split('\\').join('/'));
}
