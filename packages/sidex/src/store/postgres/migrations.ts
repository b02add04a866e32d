import type { Migration } from '../sql/migrate.js';

// The same schema as SQLite's, in PostgreSQL's types. Ids compare byte-wise
// (COLLATE "C"), as in SQLite and JavaScript, so every store pages alike.
// Append only: a released migration is never edited, a change is a new version.
export const postgresMigrations: readonly Migration[] = [
  {
    version: 1,
    name: 'executions',
    sql: `
      CREATE TABLE executions (
        id text COLLATE "C" PRIMARY KEY,
        owner text,
        status text NOT NULL,
        kind text NOT NULL,
        name text NOT NULL,
        name_folded text NOT NULL,
        id_prefix text NOT NULL,
        created_at bigint NOT NULL,
        log_bytes bigint NOT NULL,
        doc text NOT NULL
      );
      CREATE INDEX executions_created ON executions (created_at, id);
      CREATE INDEX executions_status ON executions (status, created_at, id);
      CREATE INDEX executions_name ON executions (name, created_at, id);
      CREATE INDEX executions_owner ON executions (owner, log_bytes);
    `,
  },
  {
    version: 2,
    name: 'execution events',
    sql: `
      CREATE TABLE execution_events (
        execution_id text COLLATE "C" NOT NULL,
        seq integer NOT NULL,
        time bigint NOT NULL,
        type text NOT NULL,
        data text,
        PRIMARY KEY (execution_id, seq)
      );
    `,
  },
];
