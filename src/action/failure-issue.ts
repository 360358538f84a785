import { getOctokit } from '@actions/github';

export interface Repository {
  owner: string;
  repo: string;
}

export interface PipelineOutcome {
  pipeline: string;
  succeeded: boolean;
  /** Markdown: what failed, with a link to the workflow run. */
  details: string;
}

/** Hidden in the issue's body; finds the issue of a pipeline again. */
export const issueMarker = (pipeline: string): string => `<!-- dagline:failure:${pipeline} -->`;

/**
 * One issue per failing pipeline: opened on the first failure, commented on each repeat failure, closed (with a
 * comment) when the pipeline succeeds again. Returns what it did; a problem with the API is returned, not thrown.
 */
export async function updateFailureIssue(token: string, repository: Repository, outcome: PipelineOutcome): Promise<{ ok: true; action: 'opened' | 'commented' | 'closed' | 'none' } | { ok: false; error: string }> {
  const octokit = getOctokit(token);
  const marker = issueMarker(outcome.pipeline);
  try {
    const open = await octokit.paginate(octokit.rest.issues.listForRepo, { ...repository, state: 'open', per_page: 100 });
    const issue = open.find((i) => i.pull_request === undefined && i.body?.includes(marker));
    if (outcome.succeeded) {
      if (issue === undefined) return { ok: true, action: 'none' };
      await octokit.rest.issues.createComment({ ...repository, issue_number: issue.number, body: `✅ ${outcome.pipeline} succeeded again.\n\n${outcome.details}` });
      await octokit.rest.issues.update({ ...repository, issue_number: issue.number, state: 'closed', state_reason: 'completed' });
      return { ok: true, action: 'closed' };
    }
    if (issue !== undefined) {
      await octokit.rest.issues.createComment({ ...repository, issue_number: issue.number, body: `❌ Failed again.\n\n${outcome.details}` });
      return { ok: true, action: 'commented' };
    }
    await octokit.rest.issues.create({ ...repository, title: `Dagline: pipeline ${outcome.pipeline} is failing`, body: `${marker}\n❌ ${outcome.pipeline} failed.\n\n${outcome.details}` });
    return { ok: true, action: 'opened' };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}
