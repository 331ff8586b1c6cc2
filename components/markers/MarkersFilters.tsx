import Link from 'next/link';

import { MARKER_DECISIONS } from '@/server/trigger/marker-log';

import { decisionTitle } from './decision-label';

interface Props {
  decision: string | undefined;
  bucket: string | undefined;
  buckets: string[];
  /** Parameters that did not parse, by field: shown beside their control, not applied. */
  problems: Record<string, string>;
}

function Problem({ name, problems }: { name: string; problems: Record<string, string> }) {
  const problem = problems[name];
  return problem ? (
    <span id={`${name}-problem`} role="alert" className="field-error">
      {name}: {problem} — not applied
    </span>
  ) : null;
}

/** Filters by decision and bucket (a GET form: the filters live in the URL). */
export function MarkersFilters({ decision, bucket, buckets, problems }: Props) {
  const bucketChoices = bucket && !buckets.includes(bucket) ? [bucket, ...buckets] : buckets;
  return (
    <form className="toolbar" method="get" aria-label="Filter markers">
      <label>
        Decision{' '}
        <select name="decision" defaultValue={decision ?? ''} aria-invalid={problems.decision ? true : undefined} aria-describedby={problems.decision ? 'decision-problem' : undefined}>
          <option value="">All</option>
          {MARKER_DECISIONS.map((value) => (
            <option key={value} value={value}>
              {decisionTitle(value)}
            </option>
          ))}
        </select>
        <Problem name="decision" problems={problems} />
      </label>
      <label>
        Bucket{' '}
        <select name="bucket" defaultValue={bucket ?? ''} aria-invalid={problems.bucket ? true : undefined} aria-describedby={problems.bucket ? 'bucket-problem' : undefined}>
          <option value="">All</option>
          {bucketChoices.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
        <Problem name="bucket" problems={problems} />
      </label>
      <button type="submit" className="primary">
        Filter
      </button>
      <Link href="/markers">Reset</Link>
      {problems.before && <Problem name="before" problems={problems} />}
    </form>
  );
}
