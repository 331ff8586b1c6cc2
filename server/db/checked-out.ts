import type pg from 'pg';

/**
 * `work` on a pool client of its own, released afterwards; dropped (not reused) when `work`
 * failed, whatever state it left the connection in. While checked out the client has an 'error'
 * listener: when the server goes away pg emits 'error' on it besides failing the query in flight,
 * and an unheard one would end the process (`pool.query` needs none: the pool listens).
 */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const ignore = (): void => {};
  client.on('error', ignore);
  let failed = true;
  try {
    const result = await work(client);
    failed = false;
    return result;
  } finally {
    client.off('error', ignore);
    client.release(failed);
  }
}
