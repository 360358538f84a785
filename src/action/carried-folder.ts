import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { callActionsCache } from '../cache/actions-cache-client.js';

/**
 * A small folder (the schedule's state: the last successful logical date) carried from one workflow run to the
 * next through the GitHub Actions cache. Cache entries cannot be overwritten, so every run saves under a key of
 * its own (`<prefix><run id>-<attempt>`) and the next one restores the newest entry with the prefix.
 */
export interface CarriedFolder {
  /** Absolute. */
  dir: string;
  /** e.g. `dagline-v1-schedule-daily-training-`. */
  prefix: string;
}

/** Restores the newest saved copy; false when there is none. Problems are reported through `warn`. */
export async function restoreFolder(folder: CarriedFolder, workspace: string, warn: (message: string) => void): Promise<boolean> {
  const restored = await callActionsCache((cache) => cache.restoreCache([archivePath(folder, workspace)], `${folder.prefix}none`, [folder.prefix]));
  if (!restored.ok) warn(`cannot restore ${folder.prefix}* from the GitHub Actions cache: ${restored.error}`);
  return restored.ok && restored.value !== undefined;
}

export async function saveFolder(folder: CarriedFolder, workspace: string, runId: string, warn: (message: string) => void): Promise<void> {
  if (!existsSync(folder.dir)) return;
  const saved = await callActionsCache((cache) => cache.saveCache([archivePath(folder, workspace)], `${folder.prefix}${runId}`));
  if (!saved.ok) warn(`cannot save ${folder.prefix}${runId} to the GitHub Actions cache: ${saved.error}`);
}

/** Relative to the workspace, so the entry's version does not depend on where a runner keeps the checkout. */
function archivePath(folder: CarriedFolder, workspace: string): string {
  return relative(workspace, folder.dir).split('\\').join('/');
}
