// one-api (v0.6.x schema) from MariaDB, PostgreSQL and SQLite into relay-station: see import-suite.ts.
import { importSuite } from './import-suite.js';

importSuite('one-api', 'mysql');
