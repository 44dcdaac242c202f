// The services' view types (what they return) and the route schemas (what /api validates, serialises and documents) are
// written in two places, services first; the compiler holds them equal here (npm test typechecks before it runs the
// suites), so neither can drift. Nothing here runs.
import type { Static } from 'typebox';
import type { Group, Token, User } from '../../src/routes/api/schemas.js';
import type { UserView } from '../../src/services/users.js';
import type { TokenView } from '../../src/services/tokens.js';
import type { GroupView } from '../../src/services/groups.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

export const viewTypesMatchSchemas: [Same<UserView, Static<typeof User>>, Same<TokenView, Static<typeof Token>>, Same<GroupView, Static<typeof Group>>] = [
  true,
  true,
  true,
];
