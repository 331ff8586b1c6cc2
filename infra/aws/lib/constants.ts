/** Facts several parts of the stack must agree on. */

/** Airflow's API server (REST API and UI), published by infra/airflow/docker-compose.yaml. */
export const AIRFLOW_PORT = 8080;

/** The control panel (`next start -p`, infra/aws/panel.Dockerfile). */
export const PANEL_PORT = 3000;

export const POSTGRES_PORT = 5432;

/** The Airflow account airflow-init creates; the Lambda and the panel sign in with it. */
export const AIRFLOW_ADMIN_USER = 'admin';

/** The RDS CA bundle for all regions (verify-full needs it: the RDS CA is not in Node's store). */
export const RDS_CA_BUNDLE_URL = 'https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem';

/** Where the bundle is inside the containers (compose and the panel mount ./certs there). */
export const CONTAINER_CA_FILE = '/opt/stockflow/certs/global-bundle.pem';

/** Where each instance unpacks the repository files it builds from. */
export const INSTANCE_CHECKOUT = '/opt/stockflow';

/** The source bucket's layout (server/pipeline/context.ts KEYS, and the seed's Scripts/). */
export const SOURCE_PREFIXES = { stocks: 'Stocks/', companyNames: 'CompanyNames/', output: 'Output/', scripts: 'Scripts/' } as const;

/** The database stockflow loads into, and its master user (credentials in Secrets Manager). */
export const DATABASE_NAME = 'stockflow';
export const DATABASE_USER = 'stockflow';
