import type { Db } from '../db/client.js';
import type { Ledger } from './ledger.js';
import { createSqliteLedger } from './ledger-sqlite.js';
import { createPgLedger } from './ledger-pg.js';

export function createLedger(db: Db): Ledger {
  return db.kind === 'sqlite' ? createSqliteLedger(db.sqlite) : createPgLedger(db.pool);
}
