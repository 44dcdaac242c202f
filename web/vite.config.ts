// Builds the console into dist/web (served by the relay at /). The budget plugin measures the JavaScript the first page
// load fetches (the entry chunk and everything it imports statically, gzipped), prints it, and fails the build above
// FIRST_LOAD_BUDGET; it also writes .br/.gz copies of the text assets, which the relay sends to browsers that take them.
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIRST_LOAD_BUDGET = 300 * 1024;

interface ChunkInfo {
  type: 'chunk' | 'asset';
  fileName: string;
  code?: string;
  source?: string | Uint8Array;
  isEntry?: boolean;
  imports?: string[];
}

function budget(): Plugin {
  return {
    name: 'relay-console-budget',
    apply: 'build',
    enforce: 'post',
    // After writing: the chunks' code is final only then (Vite rewrites preload markers late in generateBundle).
    writeBundle(options, bundle) {
      const dir = options.dir!;
      const files = bundle as unknown as Record<string, ChunkInfo>;
      const entry = Object.values(files).find((f) => f.type === 'chunk' && f.isEntry);
      if (!entry) return;
      const seen = new Set<string>();
      const visit = (name: string) => {
        if (seen.has(name)) return;
        seen.add(name);
        for (const next of files[name]?.imports ?? []) visit(next);
      };
      visit(entry.fileName);
      let total = 0;
      for (const name of seen) total += gzipSync(files[name]?.code ?? '').length;
      const kb = (total / 1024).toFixed(1);
      const line = `console first-load JavaScript: ${kb} KB gzipped in ${seen.size} file(s) (budget ${FIRST_LOAD_BUDGET / 1024} KB)`;
      this.info(line);
      console.log(line);
      if (total > FIRST_LOAD_BUDGET) this.error(`over budget: ${line}`);
      writeFileSync(join(dir, 'build-stats.json'), JSON.stringify({ firstLoadGzipBytes: total, files: [...seen] }));
      for (const file of Object.values(files)) {
        if (!/\.(js|css|html|svg|json)$/.test(file.fileName)) continue;
        const text = file.type === 'chunk' ? (file.code ?? '') : file.source;
        if (text === undefined || (typeof text !== 'string' && !(text instanceof Uint8Array))) continue;
        const bytes = typeof text === 'string' ? Buffer.from(text) : Buffer.from(text);
        if (bytes.length < 1024) continue;
        writeFileSync(join(dir, `${file.fileName}.gz`), gzipSync(bytes, { level: 9 }));
        writeFileSync(join(dir, `${file.fileName}.br`), brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
      }
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react(), budget()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 600,
  },
});
