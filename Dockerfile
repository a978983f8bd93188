# servebench CLI image on the current Node LTS, also the image of the Jobs in deploy/kubernetes.
# Build from the repository root:
#   docker build -t servebench .
#   docker run --rm -e HOPSWORKS_API_KEY -v "$PWD/reports:/work/reports" --user "$(id -u):$(id -g)" servebench \
#     run --url https://<gateway>/v1/<project>/<deployment>/v1/models/<model>:predict \
#     --api-key-env HOPSWORKS_API_KEY --rps 10 --duration 30s --body '{"inputs":[[1,2]]}'
# Stage 1 compiles TypeScript with the dev dependencies; stage 2 keeps dist/ and the runtime
# dependencies only and runs as an unprivileged user. test/e2e/dockerfile.test.ts runs stage 1's
# steps in a clean copy of the files it copies, since CI has no docker.

FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds, and the sources are not copied yet.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund --ignore-scripts

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY scenarios ./scenarios
COPY schema ./schema
# Runs write reports/<name>-<timestamp>/ under the working directory: a folder the user owns.
RUN mkdir -p /work/reports && chown -R 1000:1000 /work
WORKDIR /work
# Numeric (the image's `node` user), so Kubernetes can check runAsNonRoot without a runAsUser.
USER 1000:1000
ENTRYPOINT ["node", "--single-threaded-gc", "/app/dist/cli/main.js"]
CMD ["--help"]
