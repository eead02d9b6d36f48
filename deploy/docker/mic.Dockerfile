# podid MIC image. Build from the repository root:
#   docker build -f deploy/docker/mic.Dockerfile -t podid/mic:0.1.0 .
FROM node:20-bookworm-slim AS build
WORKDIR /src
ENV TURBO_TELEMETRY_DISABLED=1
COPY . .
RUN npm install --no-audit --no-fund \
 && npx turbo run build --filter=@podid/mic... \
 && npm prune --omit=dev --no-audit --no-fund

FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
# node_modules holds the workspace links to packages/*, so copy their package.json and dist alongside.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages ./packages
COPY --from=build /src/apps/mic/package.json ./apps/mic/package.json
COPY --from=build /src/apps/mic/dist ./apps/mic/dist
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "/app/apps/mic/dist/main.js"]
