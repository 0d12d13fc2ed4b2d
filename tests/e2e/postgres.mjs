// A throwaway PostgreSQL cluster for the end-to-end tests, as the server's own tests make
// one (server/tests/support/pg.rs): initdb in a temporary directory, started with pg_ctl on a
// free port on 127.0.0.1 (never 5432), as the `postgres` user when we are root, and
// stopped and deleted afterwards.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

function binaries() {
  if (process.env.NEWSWIRE_PG_BIN) return process.env.NEWSWIRE_PG_BIN;
  const found = readdirSync('/usr/lib/postgresql')
    .map((v) => join('/usr/lib/postgresql', v, 'bin'))
    .filter((bin) => existsSync(join(bin, 'initdb')))
    .sort();
  if (!found.length) throw new Error('no PostgreSQL under /usr/lib/postgresql: run make test');
  return found[found.length - 1];
}

const root = userInfo().uid === 0;
function run(program, args) {
  const [file, all] = root ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
  return execFileSync(file, all, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts a cluster; its `url(name)`, `createDatabase(name)`, `query(url, sql)` and `stop()`. */
export async function startCluster() {
  const bin = binaries();
  const dir = mkdtempSync(join(tmpdir(), 'newswire-e2e-pg-'));
  chmodSync(dir, 0o755);
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  run(join(bin, 'pg_ctl'), [
    '-D', data, '-l', join(dir, 'log'), '-w', 'start',
    '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
  ]);
  const url = (name) => `postgres://postgres@127.0.0.1:${port}/${name}`;
  const psql = (db, sql) =>
    execFileSync(join(bin, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', sql], {
      encoding: 'utf8',
    });
  return {
    url,
    createDatabase(name) {
      psql(url('postgres'), `CREATE DATABASE ${name}`);
      return url(name);
    },
    /** Runs `sql` (a change) on `db`. */
    execute(db, sql) {
      psql(db, sql);
    },
    /** The rows of `sql` on `db`, as JSON values (one per row). */
    query(db, sql) {
      const out = psql(db, `SELECT COALESCE(json_agg(row_to_json(t)), '[]') FROM (${sql}) t`);
      return JSON.parse(out.trim());
    },
    stop() {
      try {
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {}
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
