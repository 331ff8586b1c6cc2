import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startFauxqs } from 'fauxqs';

import { type RunningProduct, signIn, startProduct } from './product';

describe('notifications through SNS, managed in the panel', { timeout: 600_000 }, () => {
  let sns: Awaited<ReturnType<typeof startFauxqs>>;
  let product: RunningProduct;
  before(
    async () => {
      sns = await startFauxqs({ port: 0, logger: false });
      product = await startProduct({ STOCKFLOW_NOTIFIER: 'sns', SNS_ENDPOINT: sns.address, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' });
    },
    { timeout: 300_000 },
  );
  after(async () => {
    await product?.stop();
    await sns?.stop();
  });

  it('creates a topic, subscribes an address, sends a test through SNS and removes the subscription', async () => {
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page.goto(`${product.url}/notifications`);
    await page.getByLabel('Create a topic named').fill('stockflow-e2e');
    await page.getByRole('button', { name: 'Set topic' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Notifications now go to arn:aws:sns:us-east-1:\d+:stockflow-e2e/ })
      .waitFor();
    await page.reload();
    await page.getByLabel('E-mail').fill('ops@example.com');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('status').filter({ hasText: 'Subscribed ops@example.com' }).waitFor();
    await page.reload();
    const row = page.locator('table tbody tr').filter({ hasText: 'ops@example.com' });
    await row.waitFor();
    await page.getByRole('button', { name: 'Send test notification' }).click();
    await page.getByRole('status').filter({ hasText: 'Test notification sent via sns' }).waitFor();
    // The panel publishes it before it answers and records the SNS message id.
    const sent = await waitForSent(product);
    assert.equal(sent.channel, 'sns');
    assert.ok(sent.delivery_id);
    await product.screenshot(page, 'notifications-sns');
    if ((await row.getByRole('button', { name: 'Remove' }).count()) > 0) {
      page.once('dialog', (dialog) => void dialog.accept());
      await row.getByRole('button', { name: 'Remove' }).click();
      await page.getByRole('status').filter({ hasText: 'Subscription removed.' }).waitFor();
    }
    await page.close();
  });
});

async function waitForSent(product: RunningProduct): Promise<{ channel: string; delivery_id: string | null }> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const found = await product.database.pool.query("SELECT channel, delivery_id FROM stockflow.outbox WHERE run_id = 'test' AND status = 'sent'");
    if (found.rows[0]) return found.rows[0];
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the test notification was not delivered through SNS');
}
