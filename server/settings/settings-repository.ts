import type pg from 'pg';

/** The notification identity set in the control panel (overrides STOCKFLOW_COHORT etc.). */
export const IDENTITY_KEY = 'notification_identity';

/** The SNS topic chosen or created in the control panel (overrides SNS_TOPIC_ARN). */
export const SNS_TOPIC_KEY = 'sns_topic_arn';

/** Small operator settings in stockflow.settings (JSON values by key). */
export class SettingsRepository {
  constructor(private readonly pool: pg.Pool) {}

  async get<T>(key: string): Promise<T | null> {
    const found = await this.pool.query<{ value: T }>('SELECT value FROM stockflow.settings WHERE key = $1', [key]);
    return found.rows[0]?.value ?? null;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.pool.query(
      `INSERT INTO stockflow.settings (key, value, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [key, JSON.stringify(value)],
    );
  }
}
