# relay-station: build with `docker build -t relay-station .`, run with
#   docker run -d --name relay -p 3000:3000 -v relay-data:/app/data --stop-timeout 15 relay-station
# The root management key is printed once, on the first start (`docker logs relay`), unless RELAY_ADMIN_KEY is set.
# Configuration is environment variables only (see README.md and docs/).

# ---------------------------------------------------------------- build: dependencies and the Prisma clients
FROM node:20-bookworm-slim AS build
WORKDIR /app

# better-sqlite3 compiles from source when no prebuilt binary matches the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

# `npm ci` runs the postinstall script (scripts/prisma-generate.mjs), which needs the schema and the `prisma` CLI
# (a devDependency) to generate src/generated/{sqlite,postgresql}: install everything first, prune afterwards.
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund

# The sources (.dockerignore keeps src/generated out, so the clients generated above stay).
COPY . .

# Compile to dist/ (the service runs compiled JavaScript), then keep production dependencies only.
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---------------------------------------------------------------- runtime
FROM node:20-bookworm-slim
WORKDIR /app
# MALLOC_ARENA_MAX: glibc gives each thread (libuv's pool, V8's helpers) its own malloc arena, which keeps freed
# memory; two arenas took ~5 MB off the relay's RSS after the bench's load (docs/performance.md, "Memory").
ENV DATABASE_URL=file:/app/data/relay.db \
    PORT=3000 \
    HOST=0.0.0.0 \
    MALLOC_ARENA_MAX=2

# Code and dependencies stay owned by root (read-only for the service); only the data folder is writable.
COPY --from=build /app /app
RUN mkdir -p /app/data && chown node:node /app/data
USER node

VOLUME ["/app/data"]
EXPOSE 3000

# /healthz checks the database too. (If HOST is set to one specific address, 127.0.0.1 may not answer.)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node runs as PID 1 (no npm/npx wrapper), so it gets SIGTERM itself and shuts down gracefully (up to 10 s). The flags are
# the ones `npm start` uses (package.json; a test keeps the two the same): see docs/database.md, "Memory".
CMD ["node", "--liftoff-only", "--single-threaded-gc", "--max-semi-space-size=8", "--heap-growing-percent=50", "dist/src/server.js"]
