// Accounts, keys and codes: users (the source root merged into relay-station's), tokens (keys kept as their hash, with
// their limits), redemption codes (kept as their hash).
import { hashSecret, visiblePrefix } from '../auth/secrets.js';
import { isBcryptHash } from '../auth/passwords.js';
import { usernameProblem } from '../services/users.js';
import { isIpOrCidr } from '../services/tokens.js';
import { listSome } from './report.js';
import type { SourceRedemption, SourceToken, SourceUser } from './rows.js';
import type { PlanContext, PlannedRedemption, PlannedToken, PlannedUser } from './plan-context.js';

export async function planUsers(ctx: PlanContext, users: SourceUser[], root: { id: number; username: string }): Promise<PlannedUser[]> {
  ctx.report.source('users', users.length);
  const taken = new Set((await ctx.prisma.user.findMany({ select: { username: true } })).map((u) => u.username));
  const alive = new Set(
    (await ctx.prisma.user.findMany({ where: { id: { in: [...ctx.record.users.values()] } }, select: { id: true } })).map((u) => u.id),
  );
  const planned: PlannedUser[] = [];
  const mustReset: string[] = [];
  const odd: string[] = [];
  const clamped: string[] = [];
  let bcrypt = 0;
  let mergedRoot = false;
  for (const u of users) {
    if (u.deleted || u.status === 3) {
      ctx.report.skip('users', `#${u.id} "${u.username}" was deleted in ${ctx.variant}`);
      continue;
    }
    const already = ctx.record.users.get(u.id);
    if (already !== undefined) {
      if (alive.has(already)) {
        ctx.owners.add(u.id);
        ctx.report.present('users');
      } else ctx.report.skip('users', `#${u.id} "${u.username}" was imported before and deleted in relay-station since: not brought back`);
      continue;
    }
    if (!u.username.trim()) {
      ctx.report.skip('users', `#${u.id} has no username`);
      continue;
    }
    const intoRoot = u.role >= 100 && !mergedRoot && !ctx.flags.merge;
    let username = u.username;
    if (intoRoot) {
      mergedRoot = true;
      taken.delete(root.username);
      ctx.report.map('users', `${ctx.variant}'s root "${u.username}" (#${u.id}) is merged into relay-station's root account: its username, password, balance and tokens`);
    } else if (taken.has(username)) {
      let n = 2;
      while (taken.has(`${u.username}-${n}`)) n++;
      username = `${u.username}-${n}`;
      ctx.report.map('users', `"${u.username}" (#${u.id}) already exists in relay-station: imported as "${username}"`);
    }
    taken.add(username);
    if (usernameProblem(username)) odd.push(username);
    let passwordHash: string | null = null;
    if (isBcryptHash(u.password)) {
      passwordHash = u.password;
      bcrypt++;
    } else mustReset.push(username);
    const quota = u.quota < 0n ? 0n : u.quota;
    if (u.quota < 0n) clamped.push(`${username} (${u.quota})`);
    planned.push({
      sourceId: u.id,
      username,
      passwordHash,
      role: u.role >= 10 ? 'admin' : 'user',
      status: u.status === 1 ? 'enabled' : 'disabled',
      group: ctx.groupName(u.group),
      quota,
      usedQuota: u.usedQuota < 0n ? 0n : u.usedQuota,
      requestCount: u.requestCount,
      createdAt: u.createdAt,
      intoRoot,
    });
    ctx.owners.add(u.id);
    ctx.report.imported('users');
  }
  const rootRole = ctx.flags.merge ? 'admin' : 'root';
  ctx.report.map('users', `roles: root (100) → ${rootRole}, admin (10) → admin, common (1) → user; balances as they were (same units)`);
  if (bcrypt > 0) ctx.report.map('users', `${bcrypt} bcrypt password(s) carried over: they work as before and are re-hashed at the first login`);
  if (mustReset.length > 0) {
    ctx.report.attend(`these users have no password relay-station can check (OAuth sign-in or an unknown hash) and must have one set by an admin: ${listSome(mustReset, Infinity)}`);
  }
  if (odd.length > 0) ctx.report.attend(`usernames kept as they were although relay-station would not accept them for new accounts: ${listSome(odd, Infinity)}`);
  if (clamped.length > 0) ctx.report.attend(`negative balances set to 0 (relay-station never goes below 0): ${listSome(clamped, Infinity)}`);
  if (users.some((u) => u.displayName && u.displayName !== u.username)) {
    ctx.report.omit('users', 'display names, e-mail addresses and OAuth links (GitHub, WeChat, …) have no field in relay-station');
  }
  return planned;
}


export async function planTokens(ctx: PlanContext, tokens: SourceToken[], users: PlannedUser[]): Promise<PlannedToken[]> {
  ctx.report.source('tokens', tokens.length);
  const planned: PlannedToken[] = [];
  const existing = await ctx.existing(tokens.map((t) => hashSecret(`sk-${t.key}`)), (chunk) =>
    ctx.prisma.token.findMany({ where: { keyHash: { in: chunk } }, select: { keyHash: true } }).then((r) => r.map((x) => x.keyHash)),
  );
  const owners = new Set([...users.map((u) => u.sourceId), ...ctx.owners]);
  let orphans = 0;
  let deleted = 0;
  const notes = { auto: 0, noModels: 0, badIps: 0, lockedIps: 0, disabled: 0 };
  for (const t of tokens) {
    if (t.deleted) {
      deleted++;
      ctx.report.skip('tokens');
      continue;
    }
    if (!owners.has(t.userId)) {
      orphans++;
      ctx.report.skip('tokens');
      continue;
    }
    if (!t.key) {
      ctx.report.skip('tokens', `#${t.id} has no key`);
      continue;
    }
    const fullKey = `sk-${t.key}`;
    const keyHash = hashSecret(fullKey);
    if (existing.has(keyHash)) {
      ctx.report.present('tokens');
      continue;
    }
    let status = tokenStatus(t);
    if (status === 'disabled') notes.disabled++;
    let group: string | null = null;
    if (t.group === 'auto') notes.auto++;
    else if (t.group) group = ctx.groupName(t.group);
    if (t.models !== null && t.models.length === 0) {
      status = 'disabled';
      notes.noModels++;
    }
    const ips = t.allowIps.filter(isIpOrCidr);
    if (ips.length < t.allowIps.length) {
      notes.badIps++;
      if (ips.length === 0) {
        // Keeping none would open the key to every address; the source let no one in either.
        status = 'disabled';
        notes.lockedIps++;
      }
    }
    planned.push({
      sourceId: t.id,
      sourceUserId: t.userId,
      data: {
        name: (t.name.trim() || `token ${t.id}`).slice(0, 64),
        keyHash,
        keyPrefix: visiblePrefix(fullKey),
        remainQuota: t.remainQuota < 0n ? 0n : t.remainQuota,
        unlimited: t.unlimited,
        usedQuota: t.usedQuota < 0n ? 0n : t.usedQuota,
        expiresAt: t.expiresAt,
        models: JSON.stringify((t.models ?? []).filter((m) => m.length <= 200)),
        allowIps: JSON.stringify(ips),
        group,
        status,
        createdAt: t.createdAt ?? undefined,
        lastUsedAt: t.accessedAt,
      },
    });
    ctx.report.imported('tokens');
  }
  ctx.report.map('tokens', 'keys work unchanged as "sk-" + the stored key (kept as SHA-256), with their quota, expiry, models, IPs and status');
  if (deleted > 0) ctx.report.omit('tokens', `${deleted} deleted token(s)`);
  if (orphans > 0) ctx.report.omit('tokens', `${orphans} token(s) of users that were not imported (deleted)`);
  if (notes.disabled > 0) ctx.report.map('tokens', `${notes.disabled} disabled or used-up token(s) imported disabled`);
  if (notes.auto > 0) ctx.report.map('tokens', `${notes.auto} token(s) in new-api's "auto" group use their owner's group`);
  if (notes.noModels > 0) ctx.report.map('tokens', `${notes.noModels} token(s) allowed no model at all: imported disabled`);
  if (notes.badIps > 0) {
    ctx.report.omit('tokens', `${notes.badIps} token(s) had IP entries that are not an IP or CIDR: dropped${notes.lockedIps ? `; ${notes.lockedIps} with none left were imported disabled` : ''}`);
  }
  return planned;
}

export async function planRedemptions(ctx: PlanContext, codes: SourceRedemption[]): Promise<PlannedRedemption[]> {
  ctx.report.source('redemptions', codes.length);
  const existing = await ctx.existing(codes.map((c) => hashSecret(c.key)), (chunk) =>
    ctx.prisma.redemption.findMany({ where: { codeHash: { in: chunk } }, select: { codeHash: true } }).then((r) => r.map((x) => x.codeHash)),
  );
  const planned: PlannedRedemption[] = [];
  const now = Date.now();
  let expired = 0;
  let deleted = 0;
  const expiring: string[] = [];
  for (const c of codes) {
    const codeHash = hashSecret(c.key);
    if (existing.has(codeHash)) {
      ctx.report.present('redemptions');
      continue;
    }
    if (c.deleted || !c.key) {
      if (c.deleted) deleted++;
      ctx.report.skip('redemptions', c.deleted ? undefined : `#${c.id} has no code`);
      continue;
    }
    let status = c.status === 3 ? 'redeemed' : c.status === 1 ? 'unused' : 'disabled';
    if (status === 'unused' && c.expiresAt) {
      if (c.expiresAt.getTime() < now) {
        status = 'disabled';
        expired++;
      } else expiring.push(`#${c.id} (${c.expiresAt.toISOString().slice(0, 10)})`);
    }
    planned.push({
      sourceCreatorId: c.creatorId,
      sourceRedeemerId: c.redeemedBy,
      data: {
        name: c.name || 'imported',
        codeHash,
        codePrefix: visiblePrefix(c.key),
        quota: c.quota < 0n ? 0n : c.quota,
        status,
        redeemedAt: status === 'redeemed' ? c.redeemedAt : null,
        createdAt: c.createdAt ?? undefined,
      },
    });
    ctx.report.imported('redemptions');
  }
  ctx.report.map('redemptions', 'codes keep working as they are (stored as their SHA-256); unused → unused, used → redeemed, disabled → disabled');
  if (expired > 0) ctx.report.map('redemptions', `${expired} expired code(s) imported disabled`);
  if (deleted > 0) ctx.report.omit('redemptions', `${deleted} deleted code(s)`);
  if (expiring.length > 0) {
    ctx.report.attend(`relay-station codes do not expire: disable these by their ${ctx.variant} expiry date: ${listSome(expiring, Infinity)}`);
  }
  return planned;
}

function tokenStatus(t: SourceToken): 'enabled' | 'disabled' {
  if (t.status === 1) return 'enabled';
  // Expired or used up: kept enabled when relay-station refuses it for the same reason (and lifts that the same way).
  if (t.status === 3 && t.expiresAt && t.expiresAt.getTime() <= Date.now()) return 'enabled';
  if (t.status === 4 && !t.unlimited && t.remainQuota <= 0n) return 'enabled';
  return 'disabled';
}
