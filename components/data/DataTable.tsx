import Link from 'next/link';

import { formatNumber } from '@/components/runs/format';
import { paths } from '@/components/shared/paths';
import type { DataPage } from '@/server/read-models/data-page';

const TEXT_COLUMNS = new Set(['stock_date', 'company_name']);

/** The rows of one page; a header click sorts by that column (secondary sort kept). */
export function DataTable({ page, sortHref }: { page: DataPage; sortHref: (column: string) => string }) {
  const { query } = page;
  const sortLabel = (column: string) => (query.sort === column ? (query.dir === 'asc' ? ' ▲' : ' ▼') : query.sort2 === column ? (query.dir2 === 'asc' ? ' ▲2' : ' ▼2') : '');
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            {page.columns.map((column) => (
              <th key={column} className={TEXT_COLUMNS.has(column) ? undefined : 'num'} aria-sort={query.sort === column ? (query.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
                <Link href={sortHref(column)}>
                  {column}
                  {sortLabel(column)}
                </Link>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {page.rows.map((row) => (
            <tr key={`${row.company_name}:${row.stock_date}`}>
              {page.columns.map((column) => (
                <td key={column} className={TEXT_COLUMNS.has(column) ? undefined : 'num'} data-column={column}>
                  {column === 'company_name' ? <Link href={paths.company(row.company_name)}>{row.company_name}</Link> : column === 'stock_date' ? row.stock_date : formatNumber(row[column])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
