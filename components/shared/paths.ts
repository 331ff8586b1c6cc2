/** Every URL of the panel and its API, built in one place: ids and names are encoded here, once. */
type Query = Record<string, string> | URLSearchParams;

// A given query always adds its "?" (an empty one too), so links keep one shape.
const withQuery = (path: string, query?: Query): string => (query === undefined ? path : `${path}?${new URLSearchParams(query)}`);
const runBase = (runId: string): string => `/runs/${encodeURIComponent(runId)}`;
const apiRunBase = (runId: string): string => `/api/runs/${encodeURIComponent(runId)}`;

export const paths = {
  overview: (): string => '/',
  runs: (query?: Query): string => withQuery('/runs', query),
  run: (runId: string, step?: string): string => withQuery(runBase(runId), step === undefined ? undefined : { step }),
  markers: (query?: Query): string => withQuery('/markers', query),
  data: (query?: Query): string => withQuery('/data', query),
  company: (company: string): string => `/companies/${encodeURIComponent(company)}`,
  api: {
    run: (runId: string): string => apiRunBase(runId),
    runLogs: (runId: string, query: Query): string => withQuery(`${apiRunBase(runId)}/logs`, query),
    runLogDownload: (runId: string, query: Query): string => withQuery(`${apiRunBase(runId)}/logs/download`, query),
    runRejects: (runId: string): string => `${apiRunBase(runId)}/rejects`,
    companies: (prefix: string): string => withQuery('/api/companies', { q: prefix }),
    dataExport: (query: Query): string => withQuery('/api/data/export', query),
  },
};
