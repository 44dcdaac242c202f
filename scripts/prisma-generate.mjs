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

// The generated client imports its query compiler's WebAssembly as an ES module holding one base64 string: the module's
// source and the exported string then stay in the heap for the life of the process (2 × 2.1 MB, ~6 MB of RSS once the
// old generation's headroom is counted). Reading the same file as text instead leaves nothing behind once the module is
// compiled. Throws when Prisma's output changes shape, so that a new Prisma version is looked at, not silently kept.
const WASM_IMPORT = /const \{ wasm \} = await import\(("[^"]+\.wasm-base64\.mjs")\)\n(\s*)return await decodeBase64AsWasm\(wasm\)/;

export function readWasmAsText(classSource) {
  const match = WASM_IMPORT.exec(classSource);
  if (!match) throw new Error('generated internal/class.ts: the query compiler import changed shape (see scripts/prisma-generate.mjs)');
  const [, specifier, indent] = match;
  return classSource.replace(
    WASM_IMPORT,
    [
      '// Patched by scripts/prisma-generate.mjs: read as text, not imported, so the base64 is not kept for good.',
      "const [{ readFile }, { createRequire }] = await Promise.all([import('node:fs/promises'), import('node:module')])",
      `const text = await readFile(createRequire(import.meta.url).resolve(${specifier}), 'utf8')`,
      "return await decodeBase64AsWasm(text.slice(text.indexOf('\"') + 1, text.lastIndexOf('\"')))",
    ].join(`\n${indent}`),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(dirname(derived), { recursive: true });
  writeFileSync(derived, derivePostgresSchema(readFileSync(source, 'utf8')));
  const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1' };
  for (const schema of [source, derived]) {
    execFileSync(join(root, 'node_modules/.bin/prisma'), ['generate', '--schema', schema], { env, stdio: 'inherit', cwd: root });
  }
  for (const provider of ['sqlite', 'postgresql']) {
    const file = join(root, 'src/generated', provider, 'internal/class.ts');
    writeFileSync(file, readWasmAsText(readFileSync(file, 'utf8')));
  }
}
