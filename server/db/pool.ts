import pg from 'pg';

// numeric and bigint arrive as strings by default; keep them exact, parse where needed.
export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: 'stockflow' });
  // An idle client that loses its server must not crash the process.
  pool.on('error', (error: Error & { code?: string }) => {
    // 57P01: the server is shutting down (Ctrl-C reaches the embedded server too); nothing to report.
    if (error.code !== '57P01') console.error(`PostgreSQL pool: ${error.message}`);
  });
  return pool;
}
