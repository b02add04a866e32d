/** A server a seed program or a check talks to. */
export interface SeedServer {
  url: string;
  apiKey: string;
}

/**
 * Where a seed suite runs: `program` is the server the seed programs are
 * given; `check` the one the test asks afterwards. On one machine both are
 * the same server; in a cluster, two different ones, so what a program did
 * through one server is checked through another.
 */
export interface SeedServers {
  program: SeedServer;
  check: SeedServer;
}

export const oneServer = (server: SeedServer): SeedServers => ({ program: server, check: server });
