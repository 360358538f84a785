import { getOctokit } from '@actions/github';

/** Hidden in the rendered comment; finds the comment again on the next push to the pull request. */
export const COMMENT_MARKER = '<!-- dagline:plan -->';

export interface PullRequest {
  owner: string;
  repo: string;
  number: number;
}

/**
 * Creates the pull request's plan comment, or updates the one that carries the marker: one comment per pull
 * request however often it is pushed to. Returns what was done; a failure (a fork's read-only token, the API
 * down) is returned as an error for the caller to warn about, never thrown.
 */
export async function upsertComment(token: string, pr: PullRequest, body: string): Promise<{ ok: true; action: 'created' | 'updated' } | { ok: false; error: string }> {
  const octokit = getOctokit(token);
  const text = `${COMMENT_MARKER}\n${body}`;
  try {
    const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner: pr.owner, repo: pr.repo, issue_number: pr.number, per_page: 100 });
    const mine = comments.find((c) => c.body?.includes(COMMENT_MARKER));
    if (mine !== undefined) {
      await octokit.rest.issues.updateComment({ owner: pr.owner, repo: pr.repo, comment_id: mine.id, body: text });
      return { ok: true, action: 'updated' };
    }
    await octokit.rest.issues.createComment({ owner: pr.owner, repo: pr.repo, issue_number: pr.number, body: text });
    return { ok: true, action: 'created' };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}
