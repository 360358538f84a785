import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for the parts of the GitHub REST API the action uses: issue comments (list, create,
 * update). Every request is recorded with its body; comments are kept in memory per issue.
 */
export interface GitHubApiServer {
  /** `GITHUB_API_URL`. */
  url: string;
  requests: { method: string; path: string; body: unknown; authorization: string | undefined }[];
  comments(issue: number): { id: number; body: string }[];
  /** Issues opened through the API, with their state. */
  issues(): { number: number; title: string; body: string; state: string }[];
  close(): Promise<void>;
}

export async function startGitHubApi(): Promise<GitHubApiServer> {
  const comments = new Map<number, { id: number; body: string }[]>();
  const issues: { number: number; title: string; body: string; state: string }[] = [];
  const requests: GitHubApiServer['requests'] = [];
  let nextId = 1000;

  const server = createServer((req, res) => {
    void readJson(req).then((body) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      requests.push({ method: req.method ?? '', path: url.pathname, body, authorization: req.headers.authorization });
      route(req.method ?? '', url, body, res);
    });
  });

  function route(method: string, url: URL, body: unknown, res: ServerResponse): void {
    const repoIssues = /^\/repos\/[^/]+\/[^/]+\/issues$/.exec(url.pathname);
    const oneIssue = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)$/.exec(url.pathname);
    if (repoIssues && method === 'GET') return json(res, 200, issues.filter((i) => url.searchParams.get('state') !== 'open' || i.state === 'open'));
    if (repoIssues && method === 'POST') {
      const issue = { number: issues.length + 1, title: (body as { title: string }).title, body: (body as { body: string }).body, state: 'open' };
      issues.push(issue);
      return json(res, 201, issue);
    }
    if (oneIssue && method === 'PATCH') {
      const issue = issues.find((i) => i.number === Number(oneIssue[1]));
      if (issue === undefined) return json(res, 404, { message: 'Not Found' });
      Object.assign(issue, { state: (body as { state?: string }).state ?? issue.state });
      return json(res, 200, issue);
    }
    const list = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(url.pathname);
    const one = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(url.pathname);
    if (list && method === 'GET') return json(res, 200, comments.get(Number(list[1])) ?? []);
    if (list && method === 'POST') {
      const comment = { id: nextId++, body: (body as { body: string }).body };
      comments.set(Number(list[1]), [...(comments.get(Number(list[1])) ?? []), comment]);
      return json(res, 201, comment);
    }
    if (one && method === 'PATCH') {
      const comment = [...comments.values()].flat().find((c) => c.id === Number(one[1]));
      if (comment === undefined) return json(res, 404, { message: 'Not Found' });
      comment.body = (body as { body: string }).body;
      return json(res, 200, comment);
    }
    json(res, 404, { message: `Not Found: ${method} ${url.pathname}` });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    comments: (issue) => comments.get(issue) ?? [],
    issues: () => issues,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text === '' ? undefined : JSON.parse(text));
      } catch {
        resolve(text);
      }
    });
  });
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}
