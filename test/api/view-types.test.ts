// The services' view types (what they return) and the route schemas (what /api validates, serialises and documents) are
// written in two places, services first; the compiler holds them equal here, so neither can drift.
import { describe, expect, it } from 'vitest';
import type { Static } from 'typebox';
import type { Group, Token, User } from '../../src/routes/api/schemas.js';
import type { UserView } from '../../src/services/users.js';
import type { TokenView } from '../../src/services/tokens.js';
import type { GroupView } from '../../src/services/groups.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe('view types', () => {
  it('match the route schemas field for field', () => {
    const checks: [Same<UserView, Static<typeof User>>, Same<TokenView, Static<typeof Token>>, Same<GroupView, Static<typeof Group>>] = [true, true, true];
    expect(checks).toEqual([true, true, true]);
  });
});
