# syntax=docker/dockerfile:1
# sdfarm images: `app` (the API; also a CPU worker) and `worker-gpu` (a worker with CUDA libraries and
# ONNX Runtime's CUDA execution provider). Built by docker-compose.yml.

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Dependencies' install scripts run (npm rebuild); the package's own (which would build) does not yet.
RUN npm ci --ignore-scripts && npm rebuild
COPY tsconfig.json ./
COPY apps apps
COPY libs libs
COPY scripts scripts
COPY bin bin
COPY models models
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

# The API (and a CPU worker: `node dist/apps/worker/src/main.js`).
FROM node:${NODE_VERSION}-bookworm-slim AS app
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/bin bin
COPY --from=build /app/models models
USER node
EXPOSE 3000
CMD ["node", "dist/apps/api/src/main.js"]

# A GPU worker: CUDA 12 + cuDNN 9 runtime, Node, and ONNX Runtime with its CUDA provider binaries.
FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04 AS worker-gpu
ARG NODE_VERSION
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
 && curl -fsSL https://deb.nodesource.com/setup_${NODE_VERSION}.x | bash - \
 && apt-get install -y --no-install-recommends nodejs \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json /app/package-lock.json /app/.npmrc ./
# The CUDA provider is a separate download that .npmrc skips on CPU machines.
RUN npm ci --omit=dev --ignore-scripts && ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild
COPY --from=build /app/dist dist
COPY --from=build /app/bin bin
COPY --from=build /app/models models
CMD ["node", "dist/apps/worker/src/main.js"]
