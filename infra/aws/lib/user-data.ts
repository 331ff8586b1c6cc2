/**
 * The shell the two instances run on first boot (Amazon Linux 2023; cloud-init logs it to
 * /var/log/cloud-init-output.log). It holds no secret: it reads them from Secrets Manager with the
 * instance role at boot, so the user data (readable with ec2:DescribeInstanceAttribute) shows only
 * ARNs. Every part is a function returning lines, so the tests can run the parts that matter
 * (writing the env files) with a stand-in `aws` command.
 */
import { CONTAINER_CA_FILE, INSTANCE_CHECKOUT, PANEL_PORT, RDS_CA_BUNDLE_URL } from './constants';
import { type BootVariable, bootVariablesOf, type EnvEntries, renderEnvFile } from './env-files';

export interface BootSecrets {
  region: string;
  databaseSecretArn: string;
  airflowSecretArn: string;
}

export interface ArchiveLocation {
  bucket: string;
  key: string;
}

// Pinned plugin versions (Amazon Linux 2023 packages Docker but neither compose nor buildx);
// the same as docs/DEPLOY-AIRFLOW.md.
const COMPOSE_VERSION = 'v2.32.4';
const BUILDX_VERSION = 'v0.19.3';

// Python 3.9 (Amazon Linux 2023): the RDS secret's JSON to a libpq URL, every part URL-encoded, so
// no character of the generated password can break the URL, compose's .env or a shell.
const DATABASE_URL_PY =
  'import json, sys, urllib.parse; s = json.load(sys.stdin); q = lambda v: urllib.parse.quote(str(v), safe=""); ' +
  'print("postgres://%s:%s@%s:%s/%s?sslmode=verify-full" % (q(s["username"]), q(s["password"]), s["host"], s["port"], q(s["dbname"])))';
const PASSWORD_PY = 'import json, sys; print(json.load(sys.stdin)["password"])';

function secretValue(secrets: BootSecrets, arn: string, python: string): string {
  return `"$(aws secretsmanager get-secret-value --region '${secrets.region}' --secret-id '${arn}' --query SecretString --output text | python3 -c '${python}')"`;
}

/** How each boot variable gets its value. */
const BOOT_VALUES: Record<BootVariable, (secrets: BootSecrets) => string> = {
  DATABASE_URL: (secrets) => secretValue(secrets, secrets.databaseSecretArn, DATABASE_URL_PY),
  AIRFLOW_ADMIN_PASSWORD: (secrets) => secretValue(secrets, secrets.airflowSecretArn, PASSWORD_PY),
  // Shared by the Airflow containers of this host only: generated here, never leave it.
  AIRFLOW_SECRET_KEY: () => '"$(openssl rand -hex 32)"',
  AIRFLOW_JWT_SECRET: () => '"$(openssl rand -hex 32)"',
  // Fernet: 32 bytes, url-safe base64 (as .env.example generates it).
  AIRFLOW_FERNET_KEY: () => `"$(openssl rand -base64 32 | tr '+/' '-_')"`,
};

/** Defines the boot variables the file needs, then writes it readable by root only. */
export function envFileCommands(path: string, entries: EnvEntries, secrets: BootSecrets, isToken: (value: string) => boolean = () => false): string[] {
  return [
    ...bootVariablesOf(entries).map((name) => `${name}=${BOOT_VALUES[name](secrets)}`),
    `install -m 600 /dev/null '${path}'`,
    `cat > '${path}' <<STOCKFLOW_ENV`,
    renderEnvFile(entries, isToken),
    'STOCKFLOW_ENV',
  ];
}

/** Docker, the compose and buildx plugins, and 2 GB of swap for the image builds. */
export function installDockerCommands(): string[] {
  return [
    'dnf install -y docker tar gzip openssl python3',
    'systemctl enable --now docker',
    'arch="$(uname -m)"; case "$arch" in x86_64) buildx_arch=amd64 ;; aarch64) buildx_arch=arm64 ;; *) echo "unsupported architecture $arch" >&2; exit 1 ;; esac',
    'mkdir -p /usr/local/lib/docker/cli-plugins',
    `curl -fsSL --retry 5 -o /usr/local/lib/docker/cli-plugins/docker-compose "https://github.com/docker/compose/releases/download/${COMPOSE_VERSION}/docker-compose-linux-$arch"`,
    `curl -fsSL --retry 5 -o /usr/local/lib/docker/cli-plugins/docker-buildx "https://github.com/docker/buildx/releases/download/${BUILDX_VERSION}/buildx-${BUILDX_VERSION}.linux-$buildx_arch"`,
    'chmod 755 /usr/local/lib/docker/cli-plugins/docker-compose /usr/local/lib/docker/cli-plugins/docker-buildx',
    'docker compose version && docker buildx version',
    'if ! swapon --show | grep -q /swapfile; then fallocate -l 2G /swapfile && chmod 600 /swapfile && mkswap /swapfile && swapon /swapfile && echo "/swapfile none swap sw 0 0" >> /etc/fstab; fi',
  ];
}

/** The repository files this instance builds from (source-archive.ts), unpacked at INSTANCE_CHECKOUT. */
export function fetchSourceCommands(region: string, archive: ArchiveLocation): string[] {
  return [
    `aws s3 cp --region '${region}' 's3://${archive.bucket}/${archive.key}' /tmp/stockflow-source.tar.gz`,
    `mkdir -p ${INSTANCE_CHECKOUT}`,
    `tar -xzf /tmp/stockflow-source.tar.gz -C ${INSTANCE_CHECKOUT}`,
    'rm -f /tmp/stockflow-source.tar.gz',
  ];
}

function caBundleCommands(folder: string): string[] {
  return [`mkdir -p '${folder}'`, `curl -fsSL --retry 5 -o '${folder}/global-bundle.pem' ${RDS_CA_BUNDLE_URL}`, `chmod 644 '${folder}/global-bundle.pem'`];
}

export interface HostUserDataProps {
  secrets: BootSecrets;
  archive: ArchiveLocation;
  env: EnvEntries;
  isToken: (value: string) => boolean;
}

/** The Airflow host: Docker, the checkout, the RDS CA, infra/airflow/.env, then the compose. */
export function airflowHostCommands(props: HostUserDataProps): string[] {
  const compose = `${INSTANCE_CHECKOUT}/infra/airflow`;
  return [
    'set -euo pipefail',
    ...installDockerCommands(),
    ...fetchSourceCommands(props.secrets.region, props.archive),
    // compose mounts ./certs at the folder of CONTAINER_CA_FILE in the scheduler (DATABASE_CA_FILE).
    ...caBundleCommands(`${compose}/certs`),
    ...envFileCommands(`${compose}/.env`, props.env, props.secrets, props.isToken),
    // Builds the Airflow image (~10 min on a t3.medium), then starts it; `restart: unless-stopped`
    // brings the containers back after every stop/start of the instance.
    `cd ${compose} && docker compose up -d --build`,
  ];
}

const PANEL_CONFIG_DIR = '/etc/stockflow';
export const PANEL_ENV_FILE = `${PANEL_CONFIG_DIR}/panel.env`;

export interface PanelUserDataProps extends HostUserDataProps {
  /** Listen on all interfaces (operator CIDR access) instead of 127.0.0.1 only (SSM port forwarding). */
  listenPublicly: boolean;
}

/** The panel instance: Docker, the checkout, the RDS CA, the env file, then the panel image built and started. */
export function panelCommands(props: PanelUserDataProps): string[] {
  // Outside the image's build context (the checkout): `COPY . .` must never see the env file.
  const certs = `${PANEL_CONFIG_DIR}/certs`;
  const containerCerts = CONTAINER_CA_FILE.slice(0, CONTAINER_CA_FILE.lastIndexOf('/'));
  const bind = props.listenPublicly ? `${PANEL_PORT}:${PANEL_PORT}` : `127.0.0.1:${PANEL_PORT}:${PANEL_PORT}`;
  return [
    'set -euo pipefail',
    ...installDockerCommands(),
    ...fetchSourceCommands(props.secrets.region, props.archive),
    `install -d -m 700 ${PANEL_CONFIG_DIR}`,
    ...caBundleCommands(certs),
    ...envFileCommands(PANEL_ENV_FILE, props.env, props.secrets, props.isToken),
    `docker build -f ${INSTANCE_CHECKOUT}/infra/aws/panel.Dockerfile -t stockflow-panel:latest ${INSTANCE_CHECKOUT}`,
    'docker rm -f stockflow-panel >/dev/null 2>&1 || true',
    `docker run -d --name stockflow-panel --restart unless-stopped -p ${bind} --env-file ${PANEL_ENV_FILE} -v ${certs}:${containerCerts}:ro stockflow-panel:latest`,
  ];
}
