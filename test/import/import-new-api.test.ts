// new-api from MariaDB, PostgreSQL and SQLite into relay-station: see import-suite.ts.
import { importSuite } from './import-suite.js';

importSuite('new-api', 'sqlite');
