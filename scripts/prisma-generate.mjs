// Derives the PostgreSQL schema from the SQLite source schema and generates both Prisma clients.
// Prisma's engine binaries cannot be downloaded here; `generate` does not need one, so we point the
// CLI at /bin/false to stop it from trying (see docs/database.md).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'prisma/schema.prisma');
const derived = join(root, 'prisma/postgresql/schema.prisma');

export function derivePostgresSchema(text) {
  const out = text
    .replace('provider = "sqlite"', 'provider = "postgresql"')
    .replace('output              = "../src/generated/sqlite"', 'output              = "../../src/generated/postgresql"');
  if (out === text || !out.includes('"postgresql"') || !out.includes('generated/postgresql')) {
    throw new Error('prisma/schema.prisma: could not derive the PostgreSQL schema (provider/output lines changed?)');
  }
  return '// GENERATED from prisma/schema.prisma by scripts/prisma-generate.mjs. Do not edit.\n' + out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(dirname(derived), { recursive: true });
  writeFileSync(derived, derivePostgresSchema(readFileSync(source, 'utf8')));
  const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
  for (const schema of [source, derived]) {
    execFileSync(join(root, 'node_modules/.bin/prisma'), ['generate', '--schema', schema], { env, stdio: 'inherit', cwd: root });
  }
}
