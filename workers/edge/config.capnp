# workerd config for the edge entry: `bun run scripts/build-edge.ts`, then
#   INGEST_CONFIG="$(cat my-config.json)" workerd serve workers/edge/config.capnp [--socket-addr http=127.0.0.1:8787]
# Settings come from the environment (fromEnvironment bindings; unset = null), the same variables the Bun worker
# reads (docs/configuration.md). On Cloudflare the same names are vars and secrets (docs/runtimes.md).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "ingest", worker = .ingestWorker),
    # Outbound fetches (S3, REST catalog) may reach this machine only: workerd's default "internet" service refuses
    # private and loopback addresses (SSRF guard). For real endpoints add "public" (or their CIDR blocks).
    (name = "loopback", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "ingest")],
);

const ingestWorker :Workerd.Worker = (
  modules = [(name = "edge.js", esModule = embed "dist/edge.js")],
  # No nodejs_compat flag: the bundle uses web APIs only (test/architecture.test.ts checks it).
  compatibilityDate = "2026-11-01",
  globalOutbound = "loopback",
  bindings = [
    (name = "INGEST_CONFIG", fromEnvironment = "INGEST_CONFIG"),
    (name = "INGEST_HTTP_TOKENS", fromEnvironment = "INGEST_HTTP_TOKENS"),
    (name = "ICEBERG_CATALOG_URI", fromEnvironment = "ICEBERG_CATALOG_URI"),
    (name = "ICEBERG_CATALOG_WAREHOUSE", fromEnvironment = "ICEBERG_CATALOG_WAREHOUSE"),
    (name = "ICEBERG_CATALOG_TOKEN", fromEnvironment = "ICEBERG_CATALOG_TOKEN"),
    (name = "ICEBERG_CATALOG_CREDENTIAL", fromEnvironment = "ICEBERG_CATALOG_CREDENTIAL"),
    (name = "S3_ENDPOINT", fromEnvironment = "S3_ENDPOINT"),
    (name = "S3_REGION", fromEnvironment = "S3_REGION"),
    (name = "S3_ACCESS_KEY_ID", fromEnvironment = "S3_ACCESS_KEY_ID"),
    (name = "S3_SECRET_ACCESS_KEY", fromEnvironment = "S3_SECRET_ACCESS_KEY"),
    (name = "S3_SESSION_TOKEN", fromEnvironment = "S3_SESSION_TOKEN"),
  ],
);
