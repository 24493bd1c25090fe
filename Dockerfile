# Keyhold in a container: a multi-stage build of the standalone output (`npm run build` makes
# .next/standalone self-contained: bundled launcher, server, admin CLI and backup commands).
# Docker does not run on the machines this project is tested on; tests/e2e/standalone.spec.ts
# runs the same folder this image runs, the same way. See docs/deploy.md.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
# The postinstall step generates the Prisma client, so it needs the schema and its config.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts/prisma-generate.mjs ./scripts/
# The lock file holds every platform's optional packages, so npm ci works on any architecture.
RUN npm ci --no-audit --no-fund

FROM deps AS build
COPY . .
RUN npm run build

FROM node:20-bookworm-slim AS runner
WORKDIR /app
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    KEYHOLD_DATA_DIR=/data
RUN mkdir /data && chown node:node /data
COPY --from=build --chown=node:node /app/.next/standalone ./
USER node
# The embedded database and its generated secret live here when DATABASE_URL is unset.
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:' + process.env.PORT + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# The launcher validates the configuration, applies migrations under the advisory lock, runs the
# server and forwards SIGTERM to it so `docker stop` drains requests and flushes usage events.
CMD ["node", "scripts/start.mjs", "start"]
