/**
 * Whether the GitHub Actions cache service is reachable from here: the test of @actions/cache's
 * `isFeatureAvailable()` (service v2 needs ACTIONS_RESULTS_URL, v1 ACTIONS_CACHE_URL; GitHub Enterprise Server
 * has only v1), made on `env` and without loading the package, plus the runtime token every request needs and
 * a cache mode that allows something.
 */
export function githubCacheAvailable(env: Record<string, string | undefined> = process.env): boolean {
  if (!env.ACTIONS_RUNTIME_TOKEN || env.ACTIONS_CACHE_MODE?.trim().toLowerCase() === 'none') return false;
  const ghes = isGhes(env.GITHUB_SERVER_URL);
  if (ghes === undefined) return false;
  const v2 = Boolean(env.ACTIONS_CACHE_SERVICE_V2) && !ghes;
  return Boolean(v2 ? env.ACTIONS_RESULTS_URL : env.ACTIONS_CACHE_URL);
}

/** As @actions/cache decides it; undefined for a server URL it could not parse either. */
function isGhes(serverUrl: string | undefined): boolean | undefined {
  let host: string;
  try {
    host = new URL(serverUrl || 'https://github.com').hostname.trimEnd().toUpperCase();
  } catch {
    return undefined;
  }
  return host !== 'GITHUB.COM' && !host.endsWith('.GHE.COM') && !host.endsWith('.LOCALHOST');
}
