import Link from 'next/link';

import { TABLE_COLUMNS } from '@/server/pipeline/stock-row';
import { type DataPage, RANGE_FILTERS } from '@/server/read-models/data-page';

import styles from './data.module.css';
import { FilterField } from './FilterField';

type Raw = Record<string, string | string[] | undefined>;
const text = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The data page's filter, sort and column form (a plain GET form: the URL holds the whole view). */
export function DataFilters({ page, raw, exportHrefs }: { page: DataPage; raw: Raw; exportHrefs: { csv: string; gzip: string } }) {
  const { query, problems } = page;
  const field = (name: keyof typeof query & string) => ({ name, raw: text(raw[name]), problem: problems[name] });
  return (
    <form className={styles.filters} method="get" aria-label="Filters">
      <fieldset className={styles.group}>
        <legend>Rows</legend>
        <FilterField label="Company" {...field('company')} value={query.company} placeholder="aapl, msft" />
        <FilterField label="From" type="date" {...field('from')} value={query.from} />
        <FilterField label="To" type="date" {...field('to')} value={query.to} />
        <FilterField label="Jump to date" type="date" {...field('jump')} value={query.jump} />
        <p className={styles.hint} id="jump-hint">
          {page.jumpMode === 'position'
            ? 'Sorted by date: “Jump to date” opens the page at that day (Previous and Next keep working).'
            : 'Not sorted by date: “Jump to date” shows rows from that day on.'}
        </p>
        <label className={styles.check}>
          <input type="checkbox" name="pctEmpty" value="1" defaultChecked={query.pctEmpty === '1'} /> Only rows with an empty % change
        </label>
      </fieldset>
      <fieldset className={styles.group}>
        <legend>Ranges (inclusive)</legend>
        <div className={styles.ranges}>
          {RANGE_FILTERS.map((range) => (
            <div key={range.column} className={styles.range}>
              <FilterField label={`${range.label} ≥`} {...field(range.min)} value={query[range.min]} inputMode={range.column === 'volume_traded' ? 'numeric' : 'decimal'} />
              <FilterField label={`${range.label} ≤`} {...field(range.max)} value={query[range.max]} inputMode={range.column === 'volume_traded' ? 'numeric' : 'decimal'} />
            </div>
          ))}
        </div>
      </fieldset>
      <fieldset className={styles.group}>
        <legend>Sort and columns</legend>
        <label className={styles.field}>
          Sort by
          <select name="sort" defaultValue={query.sort}>
            {TABLE_COLUMNS.map((column) => (
              <option key={column}>{column}</option>
            ))}
          </select>
        </label>
        <label className={styles.field}>
          Sort direction
          <select name="dir" defaultValue={query.dir}>
            <option value="asc">ascending</option>
            <option value="desc">descending</option>
          </select>
        </label>
        <label className={styles.field}>
          Then by
          <select name="sort2" defaultValue={query.sort2 ?? ''}>
            <option value="">(none)</option>
            {TABLE_COLUMNS.map((column) => (
              <option key={column}>{column}</option>
            ))}
          </select>
        </label>
        <label className={styles.field}>
          Then direction
          <select name="dir2" defaultValue={query.dir2}>
            <option value="asc">ascending</option>
            <option value="desc">descending</option>
          </select>
        </label>
        <label className={styles.field}>
          Rows per page
          <select name="size" defaultValue={String(query.size)}>
            {[50, 100, 500].map((size) => (
              <option key={size}>{size}</option>
            ))}
          </select>
        </label>
        <p className={styles.hint}>Empty values sort lowest. Hidden columns are left out of the table and the export.</p>
        {TABLE_COLUMNS.map((column) => (
          <label key={column} className={styles.check}>
            <input type="checkbox" name="hide" value={column} defaultChecked={query.hide.includes(column)} /> Hide {column}
          </label>
        ))}
        {problems.hide && (
          <span id="hide-problem" role="alert" className="field-error">
            {problems.hide} — not applied
          </span>
        )}
      </fieldset>
      <div className={styles.actions}>
        <button type="submit" className="primary">
          Apply
        </button>
        <Link href="/data">Reset</Link>
        <a href={exportHrefs.csv} download>
          Export CSV
        </a>
        <a href={exportHrefs.gzip} download title="The same CSV, gzip-compressed: about a third of the size, for slow connections">
          Export CSV (gzip)
        </a>
      </div>
    </form>
  );
}
