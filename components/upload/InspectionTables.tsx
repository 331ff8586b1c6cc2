import type { FileInspection } from '@/server/uploads/file-inspection';

/** The first rows as they will be read, and the bad rows with line, field and reason. */
export function InspectionTables({ name, inspection }: { name: string; inspection: FileInspection }) {
  return (
    <>
      {inspection.firstRows.length > 0 && (
        <div className="table-wrap">
          <table aria-label={`First rows of ${name}`}>
            <thead>
              <tr>
                {inspection.columns.map((column) => (
                  <th key={column} scope="col">
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {inspection.firstRows.map((row, index) => (
                <tr key={index}>
                  {row.map((value, column) => (
                    <td key={column}>{value}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {inspection.badRows.length > 0 && (
        <div className="table-wrap">
          <table aria-label={`Bad rows of ${name}`}>
            <caption style={{ textAlign: 'left', padding: '0.4rem 0.6rem' }} className="error">
              Bad rows{inspection.badRowCount > inspection.badRows.length ? ` (the first ${inspection.badRows.length} of ${inspection.badRowCount})` : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col" className="num">
                  Line
                </th>
                <th scope="col">Field</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {inspection.badRows.map((row) => (
                <tr key={`${row.line}-${row.field}`}>
                  <td className="num">{row.line}</td>
                  <td>{row.field}</td>
                  <td style={{ overflowWrap: 'anywhere' }}>{row.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
