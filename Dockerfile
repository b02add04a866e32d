# sidex in a container: Node 20 on Debian 12, a sandbox (bubblewrap) per
# execution, running as an unprivileged user. The sandbox needs the container
# runtime to allow user namespaces and a fresh /proc inside the container;
# see docs/deployment.md for the flags, and for --isolation process otherwise.

# Build: better-sqlite3 is compiled from source (.prebuild-installrc), which
# needs python3, make and g++; the full node image has them.
FROM node:20-bookworm AS build
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund && npm run build

FROM node:20-bookworm-slim
# bubblewrap: the sandbox. util-linux: setpriv and prlimit, which the sandbox's
# launch and the output limit use (already in the base image; named so that
# it stays).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap util-linux \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system sidex \
 && useradd --system --gid sidex --home-dir /var/lib/sidex --create-home --shell /usr/sbin/nologin sidex \
 && mkdir -p /srv/project && chown sidex:sidex /srv/project
COPY --from=build --chown=root:root /app /opt/sidex

# Listen on every interface of the container: a non-loopback host needs a key
# set before the first start (SIDEX_API_KEY, or api-key in the data volume).
# isolation=sandbox refuses to start without a working sandbox instead of
# falling back to process isolation unnoticed.
ENV NODE_ENV=production \
    SIDEX_HOST=0.0.0.0 \
    SIDEX_PORT=5565 \
    SIDEX_DATA_DIR=/var/lib/sidex \
    SIDEX_PROJECT=/srv/project \
    SIDEX_ISOLATION=sandbox
USER sidex
WORKDIR /var/lib/sidex
VOLUME ["/var/lib/sidex"]
EXPOSE 5565
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.SIDEX_PORT || 5565) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# sidex stops its executions on SIGTERM (docker stop); give it longer than
# its grace period: docker stop --time 30.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/sidex/packages/cli/bin/sidex.js"]
CMD ["serve"]
