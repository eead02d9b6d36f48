# podid NMI image. Build from the repository root:
#   docker build -f deploy/docker/nmi.Dockerfile -t podid/nmi:0.1.0 .
FROM node:20-bookworm-slim AS build
WORKDIR /src
ENV TURBO_TELEMETRY_DISABLED=1
COPY . .
RUN npm install --no-audit --no-fund \
 && npx turbo run build --filter=@podid/nmi... \
 && npm prune --omit=dev --no-audit --no-fund

# NMI programs iptables and conntrack, so it needs those binaries (nf_tables backend) and runs as root with only
# NET_ADMIN, NET_RAW and DAC_READ_SEARCH (see deploy/base/nmi/daemonset.yaml).
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables conntrack \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages ./packages
COPY --from=build /src/apps/nmi/package.json ./apps/nmi/package.json
COPY --from=build /src/apps/nmi/dist ./apps/nmi/dist
# A 1 MiB V8 semi-space: NMI's allocations are small and short-lived, and the default young generation (up to 32 MiB)
# was a third of its RSS on a busy node (bench/scale: 107 -> 79 MiB after 10,000 token requests; BENCHMARKS.md).
ENTRYPOINT ["node", "--max-semi-space-size=1", "/app/apps/nmi/dist/main.js"]
