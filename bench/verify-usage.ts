// After the relay child has exited: read its SQLite file (read-only) and check that every request the bench sent was
// settled exactly once — one usage row each, no reservation left open, and balances that add up.
import Database from 'better-sqlite3';

export interface Expected {
  userId: number;
  tokenId: number;
  initialQuota: number;
  /** Requests the bench sent to the relay (warm-up included). */
  sent: number;
  streamSent: number;
  /** Requests the client saw succeed. */
  ok: number;
}

export interface Check {
  label: string;
  pass: boolean;
}

export interface UsageReport {
  checks: Check[];
  logs: number;
  charged: number;
}

export function verifyUsage(dbPath: string, e: Expected): UsageReport {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const logs = db
      .prepare(
        `SELECT COUNT(*) AS n, COALESCE(SUM("stream"), 0) AS streams, COALESCE(SUM("status" = 'ok' AND "type" = 'consume'), 0) AS ok,
           COALESCE(SUM("quota"), 0) AS charged, COUNT(DISTINCT "requestId") AS ids
         FROM "UsageLog" WHERE "userId" = ?`,
      )
      .get(e.userId) as { n: number; streams: number; ok: number; charged: number; ids: number };
    const holds = (db.prepare('SELECT COUNT(*) AS n FROM "QuotaHold"').get() as { n: number }).n;
    const user = db.prepare('SELECT "quota" AS quota, "usedQuota" AS used, "requestCount" AS requests FROM "User" WHERE "id" = ?').get(e.userId) as {
      quota: number;
      used: number;
      requests: number;
    };
    const token = db.prepare('SELECT "usedQuota" AS used FROM "Token" WHERE "id" = ?').get(e.tokenId) as { used: number };
    const checks: Check[] = [
      { label: `usage log rows ${logs.n} = relay requests sent ${e.sent}`, pass: logs.n === e.sent },
      { label: `distinct request ids ${logs.ids} = rows ${logs.n}`, pass: logs.ids === logs.n },
      { label: `ok rows ${logs.ok} = answers the client saw succeed ${e.ok}`, pass: logs.ok === e.ok },
      { label: `stream rows ${logs.streams} = stream requests sent ${e.streamSent}`, pass: logs.streams === e.streamSent },
      { label: `open reservations (QuotaHold rows) ${holds} = 0`, pass: holds === 0 },
      { label: `user usedQuota ${user.used} = sum of logged charges ${logs.charged}`, pass: user.used === logs.charged },
      { label: `user quota + usedQuota ${user.quota + user.used} = initial ${e.initialQuota}`, pass: user.quota + user.used === e.initialQuota },
      { label: `user requestCount ${user.requests} = rows ${logs.n}`, pass: user.requests === logs.n },
      { label: `token usedQuota ${token.used} = sum of logged charges ${logs.charged}`, pass: token.used === logs.charged },
    ];
    return { checks, logs: logs.n, charged: logs.charged };
  } finally {
    db.close();
  }
}
