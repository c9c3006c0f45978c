# syntax=docker/dockerfile:1
#
# The image of the Next.js web app (apps/web, workspace @gittix/web). Build from the
# repository root:
#
#   docker build -f infra/docker/web.Dockerfile -t gittix/web .
#
# It runs `next start` on the production dependencies of @gittix/web. (Next's
# `output: 'standalone'` would give a smaller image; it needs a next.config change
# in apps/web, so it is not assumed here.)

ARG NODE_MAJOR=26
ARG DEBIAN_RELEASE=trixie

# ---- manifests: every package.json and the lockfile, nothing else ----------------
FROM node:${NODE_MAJOR}-${DEBIAN_RELEASE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && find . -name node_modules -prune -o -type f \
      \( -name package.json -o -name package-lock.json -o -name .npmrc \) -print \
    | tar -cf - -T - | tar -xf - -C /manifests

# ---- build: every dependency, `npm run build` (the services, then next build) -----
FROM node:${NODE_MAJOR}-${DEBIAN_RELEASE} AS build
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false \
    NEXT_TELEMETRY_DISABLED=1
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked npm ci --ignore-scripts
COPY . .
RUN npm run build
# Gather what `next start` reads at run time; public/ and the config are optional.
RUN mkdir /out \
 && cp apps/web/package.json /out/ \
 && cp -R apps/web/.next /out/.next \
 && rm -rf /out/.next/cache \
 && for file in apps/web/next.config.*; do if [ -f "$file" ]; then cp "$file" /out/; fi; done \
 && if [ -d apps/web/public ]; then cp -R apps/web/public /out/public; fi

# ---- deps: production dependencies of @gittix/web ---------------------------------
FROM node:${NODE_MAJOR}-${DEBIAN_RELEASE} AS deps
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    npm ci --omit=dev --workspace=@gittix/web --include-workspace-root=false --ignore-scripts
# `next` must be hoisted to /app/node_modules: the CMD below runs it from there.
RUN test -f node_modules/next/dist/bin/next

# ---- runtime --------------------------------------------------------------------
FROM node:${NODE_MAJOR}-${DEBIAN_RELEASE}-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    HOSTNAME=0.0.0.0 \
    PORT=3100 \
    GITTIX_SERVICE=web \
    NEXT_TELEMETRY_DISABLED=1 \
    npm_config_update_notifier=false
WORKDIR /app
COPY --from=deps /app/package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /out/ ./apps/web/
WORKDIR /app/apps/web
# Root-owned, read-only files; the process runs as the image's `node` user. Next
# writes only to .next/cache (give it a writable volume when the root is read-only).
USER 1000:1000
# The web app has no /healthz: liveness is "the port accepts connections".
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3100)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# next start reads PORT and binds 0.0.0.0; node is PID 1 and handles SIGTERM.
# --keepAliveTimeout: ingress-nginx keeps idle upstream connections 60 s, Node closes
# them after 5 s, and a request sent on one as it closes gets a 502. Like the
# services' HTTP_KEEP_ALIVE_TIMEOUT_MS (72 s), above it, so the balancer lets go first.
CMD ["node", "/app/node_modules/next/dist/bin/next", "start", "--keepAliveTimeout", "72000"]
