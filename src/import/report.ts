// What the import did, table by table: counts, how things were mapped, what was left out and why, and what the
// operator has to do next. Never holds a secret: keys and codes appear only as counts or masked prefixes.

export const TABLES = ['groups', 'options', 'users', 'channels', 'tokens', 'redemptions', 'logs'] as const;
export type Table = (typeof TABLES)[number];

interface Counts {
  source: number;
  imported: number;
  /** Already in relay-station (an earlier run of the same import, or the same row there already). */
  present: number;
  leftOut: number;
}

export class ImportReport {
  readonly counts = new Map<Table, Counts>(TABLES.map((t) => [t, { source: 0, imported: 0, present: 0, leftOut: 0 }]));
  readonly mapped: string[] = [];
  readonly leftOut: string[] = [];
  readonly attention: string[] = [];
  /** Problems that stop the import before it writes anything. */
  readonly problems: string[] = [];

  source(table: Table, n: number): void {
    this.counts.get(table)!.source = n;
  }

  imported(table: Table, n = 1): void {
    this.counts.get(table)!.imported += n;
  }

  present(table: Table, n = 1): void {
    this.counts.get(table)!.present += n;
  }

  /** A row not brought over, with the reason (or undefined when the reason is summed up elsewhere). */
  skip(table: Table, reason?: string): void {
    this.counts.get(table)!.leftOut += 1;
    if (reason) this.leftOut.push(`${table}: ${reason}`);
  }

  /** A planned row that the write refused after all. */
  unimport(table: Table, reason: string): void {
    const c = this.counts.get(table)!;
    c.imported -= 1;
    c.leftOut += 1;
    this.leftOut.push(`${table}: ${reason}`);
  }

  map(table: Table, line: string): void {
    this.mapped.push(`${table}: ${line}`);
  }

  omit(table: Table, line: string): void {
    this.leftOut.push(`${table}: ${line}`);
  }

  attend(line: string): void {
    this.attention.push(line);
  }

  problem(line: string): void {
    this.problems.push(line);
  }

  /** The report as the console prints it. `planned` counts are what a dry run would import. */
  format(header: string, dryRun: boolean): string {
    const out = [header, ''];
    const col = (s: string | number, w: number) => String(s).padStart(w);
    out.push(`${'table'.padEnd(12)}${col('source', 9)}${col(dryRun ? 'would import' : 'imported', 14)}${col('already there', 15)}${col('left out', 10)}`);
    for (const [table, c] of this.counts) {
      out.push(`${table.padEnd(12)}${col(c.source, 9)}${col(c.imported, 14)}${col(c.present, 15)}${col(c.leftOut, 10)}`);
    }
    const section = (title: string, lines: string[]) => {
      if (lines.length === 0) return;
      out.push('', `${title}:`);
      for (const line of lines) out.push(`  - ${line}`);
    };
    section('Problems (nothing was written)', this.problems);
    section('Mapped', this.mapped);
    section('Left out', this.leftOut);
    section('Next steps', this.attention);
    return out.join('\n');
  }
}

/** "a, b, c and 12 more": keeps a report line short when a list is long. */
export function listSome(items: readonly string[], max = 12): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
