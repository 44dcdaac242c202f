import type { Db } from '../db/client.js';
import type { Ledger } from './ledger.js';
import type { InvalidationBus } from '../cache/bus.js';
import { createSqliteLedger } from './ledger-sqlite.js';
import { createPgLedger } from './ledger-pg.js';

/**
 * `bus`: balance changes made elsewhere (top-ups, redemptions) reach the SQLite ledger's balance cache through it.
 * `now`: the clock that cache ages by.
 */
export function createLedger(db: Db, bus?: InvalidationBus, now?: () => number): Ledger {
  return db.kind === 'sqlite' ? createSqliteLedger(db.sql, bus, now) : createPgLedger(db.sql);
}
