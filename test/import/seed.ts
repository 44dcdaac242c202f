// A realistic one-api / new-api installation: accounts with balances and bcrypt passwords (as Go writes them), keys
// with limits, expiry, model and IP limits, channels of several types (one pointing at the local fake upstream), group
// and model prices, used and unused redemption codes, and some usage logs.
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { Variant } from '../../src/import/rows.js';
import type { Rows } from './sources.js';

const now = Math.floor(Date.now() / 1000);
const DAY = 86_400;

/** A token key as one-api/new-api store it: 48 characters, no "sk-". */
const tokenKey = (): string => randomBytes(36).toString('base64').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 48);
const code = (): string => randomBytes(16).toString('hex');
/** Go's bcrypt writes $2a$. */
const goBcrypt = (password: string): string => bcrypt.hashSync(password, bcrypt.genSaltSync(10)).replace(/^\$2b\$/, '$2a$');

export interface Seed {
  rows: Rows;
  passwords: { root: string; alice: string; bob: string };
  keys: { aliceLimited: string; aliceUnlimited: string; bob: string; bobDisabled: string; carolExpired: string; erin: string; deleted: string };
  codes: { unused: string; used: string; disabled: string };
}

export function seedRows(variant: Variant, upstreamUrl: string): Seed {
  const newApi = variant === 'new-api';
  const passwords = { root: '123456-root', alice: 'alice-pass-2024', bob: 'bob-secret-99' };
  const keys = {
    aliceLimited: tokenKey(),
    aliceUnlimited: tokenKey(),
    bob: tokenKey(),
    bobDisabled: tokenKey(),
    carolExpired: tokenKey(),
    erin: tokenKey(),
    deleted: tokenKey(),
  };
  const codes = { unused: code(), used: code(), disabled: code() };
  let aff = 0;
  const user = (id: number, username: string, extra: Record<string, unknown>) => ({
    id,
    username,
    password: '',
    display_name: username[0]!.toUpperCase() + username.slice(1),
    role: 1,
    status: 1,
    email: `${username}@example.com`,
    github_id: '',
    wechat_id: '',
    access_token: randomBytes(16).toString('hex'),
    quota: 0,
    used_quota: 0,
    request_count: 0,
    group: 'default',
    aff_code: `AF${++aff}`,
    inviter_id: 0,
    ...(newApi ? { created_at: now - 90 * DAY, setting: '{}' } : {}),
    ...extra,
  });
  const users = [
    user(1, 'root', { role: 100, password: goBcrypt(passwords.root), quota: 100_000_000, used_quota: 2_500_000, request_count: 812 }),
    user(2, 'alice', { password: goBcrypt(passwords.alice), quota: 5_000_000, used_quota: 1_234_567, request_count: 321 }),
    user(3, 'bob', { role: 10, password: goBcrypt(passwords.bob), quota: 12_345_678, used_quota: 50_000, request_count: 9, group: 'vip' }),
    // Signed up with GitHub: no password.
    user(4, 'carol', { github_id: '5551234', quota: 1_000_000, group: 'svip' }),
    user(5, 'dave', { status: 2, password: goBcrypt('dave-password'), quota: 777 }),
    newApi
      ? user(6, 'mallory', { password: goBcrypt('x-password'), quota: 999, deleted_at: new Date(Date.now() - DAY * 1000) })
      : user(6, 'deleted_9f1c2e', { status: 3, password: goBcrypt('x-password'), quota: 999 }),
    // A group name relay-station cannot use, and a balance one-api let go negative.
    user(7, 'erin', { password: goBcrypt('erin-password'), quota: -500, group: '企业' }),
  ];

  const token = (id: number, userId: number, key: string, extra: Record<string, unknown>) => ({
    id,
    user_id: userId,
    key,
    status: 1,
    name: `token-${id}`,
    created_time: now - 30 * DAY,
    accessed_time: now - DAY,
    expired_time: -1,
    remain_quota: 0,
    unlimited_quota: true,
    used_quota: 0,
    ...extra,
  });
  const limits = (models: string[], ips: string[]) =>
    newApi
      ? { model_limits_enabled: true, model_limits: models.join(','), allow_ips: ips.join('\n') }
      : { models: models.join(','), subnet: ips.join(',') };
  const tokens = [
    token(1, 2, keys.aliceUnlimited, { name: 'laptop' }),
    token(2, 2, keys.aliceLimited, {
      name: 'ci',
      unlimited_quota: false,
      remain_quota: 2_000_000,
      used_quota: 100_000,
      expired_time: now + 30 * DAY,
      ...limits(['gpt-4o-mini', 'gpt-4o'], ['127.0.0.1/32', '10.0.0.0/8']),
    }),
    token(3, 3, keys.bob, { name: 'bob-main' }),
    token(4, 3, keys.bobDisabled, { name: 'old', status: 2 }),
    token(5, 4, keys.carolExpired, { status: 3, expired_time: now - 5 * DAY, unlimited_quota: false, remain_quota: 10 }),
    token(6, 6, keys.deleted, {}),
    token(7, 7, keys.erin, newApi ? { group: 'vip' } : { subnet: 'office-network' }),
    token(8, 1, tokenKey(), { name: 'root-key' }),
    ...(newApi ? [token(9, 2, tokenKey(), { deleted_at: new Date(Date.now() - DAY * 1000) })] : []),
  ];

  const channel = (id: number, type: number, name: string, extra: Record<string, unknown>) => ({
    id,
    type,
    key: `upstream-key-${id}`,
    status: 1,
    name,
    weight: newApi ? 10 : 0,
    created_time: now - 60 * DAY,
    base_url: '',
    models: '',
    group: 'default',
    model_mapping: '',
    priority: 0,
    ...extra,
  });
  const channels = [
    channel(1, 1, 'OpenAI main', {
      key: 'sk-upstream-openai',
      base_url: upstreamUrl,
      models: 'gpt-4o-mini,gpt-4o',
      group: 'default,vip,svip,企业',
      model_mapping: JSON.stringify({ 'gpt-4o-mini': 'gpt-4o-mini-2024-07-18' }),
      priority: 10,
    }),
    channel(2, 3, 'Azure east', {
      base_url: 'https://contoso-east.openai.azure.com',
      models: 'gpt-3.5-turbo,gpt-4o',
      ...(newApi ? { other: '2024-02-15-preview' } : { config: JSON.stringify({ api_version: '2024-02-15-preview' }) }),
    }),
    channel(3, 14, 'Claude', { key: 'sk-ant-api03-upstream', models: 'claude-3-5-haiku-20241022', group: 'default,vip' }),
    channel(4, 24, 'Gemini', { key: 'AIzaSyUpstreamKey0123456789', models: 'gemini-1.5-flash' }),
    channel(5, newApi ? 43 : 36, 'DeepSeek', { models: 'deepseek-chat,deepseek-reasoner', priority: 5 }),
    channel(6, 15, 'Wenxin', { key: 'baidu-ak|baidu-sk', models: 'ERNIE-4.0-8K' }),
    channel(7, 8, 'Proxy (auto-disabled)', {
      status: 3,
      base_url: newApi ? 'https://proxy.example.com/v1/chat/completions' : 'https://proxy.example.com',
      models: 'gpt-4o-mini',
    }),
    ...(newApi
      ? [
          channel(8, 1, 'OpenAI pool', {
            key: 'sk-pool-1\nsk-pool-2\nsk-pool-3',
            models: 'gpt-4o',
            channel_info: JSON.stringify({ is_multi_key: true, multi_key_size: 3, multi_key_status_list: { 1: 3 }, multi_key_mode: 'random' }),
            tag: 'pool',
          }),
        ]
      : []),
  ];

  const redemptions = [
    { id: 1, user_id: 1, key: codes.unused, status: 1, name: 'spring promo', quota: 1_000_000, created_time: now - 10 * DAY, redeemed_time: 0 },
    {
      id: 2,
      user_id: 1,
      key: codes.used,
      status: 3,
      name: 'spring promo',
      quota: 1_000_000,
      created_time: now - 10 * DAY,
      redeemed_time: now - 2 * DAY,
      ...(newApi ? { used_user_id: 2 } : {}),
    },
    { id: 3, user_id: 1, key: codes.disabled, status: 2, name: 'revoked', quota: 500_000, created_time: now - 10 * DAY, redeemed_time: 0 },
    ...(newApi
      ? [{ id: 4, user_id: 1, key: code(), status: 1, name: 'flash sale', quota: 100, created_time: now - 10 * DAY, redeemed_time: 0, expired_time: now - DAY }]
      : []),
  ];

  const options = [
    { key: 'GroupRatio', value: JSON.stringify({ default: 1, vip: 0.8, svip: 1.5, 企业: 0.5 }) },
    {
      key: 'ModelRatio',
      value: JSON.stringify({
        'gpt-4o-mini': 0.3,
        'gpt-4o': 1.25,
        'gpt-3.5-turbo': 0.75,
        'claude-3-5-haiku-20241022': 0.4,
        'gemini-1.5-flash': 0.0375,
        'deepseek-chat': 0.135,
        'ERNIE-4.0-8K': 0.12 * (500 / 7),
        'qwen-turbo(17)': 0.0572,
      }),
    },
    { key: 'CompletionRatio', value: JSON.stringify({ 'gpt-4o-mini': 4, 'deepseek-chat': 2 }) },
    { key: 'ModelPrice', value: JSON.stringify({ 'dall-e-3': 0.04 }) },
    { key: 'TopUpLink', value: 'https://shop.example.com/buy' },
    { key: 'RetryTimes', value: '3' },
    { key: 'AutomaticDisableChannelEnabled', value: 'true' },
    { key: 'SMTPServer', value: 'smtp.example.com' },
    { key: 'QuotaPerUnit', value: '500000' },
    ...(newApi
      ? [
          { key: 'UserUsableGroups', value: JSON.stringify({ default: '默认分组', vip: 'VIP' }) },
          { key: 'CacheRatio', value: JSON.stringify({ 'gpt-4o-mini': 0.5 }) },
          { key: 'CreateCacheRatio', value: JSON.stringify({ 'claude-3-5-haiku-20241022': 1.25 }) },
          { key: 'Price', value: '7.3' },
        ]
      : []),
  ];

  const log = (id: number, userId: number, type: number, extra: Record<string, unknown>) => ({
    id,
    user_id: userId,
    created_at: now - id * 3600,
    type,
    content: '',
    username: users.find((u) => u.id === userId)!.username,
    token_name: '',
    model_name: '',
    quota: 0,
    prompt_tokens: 0,
    completion_tokens: 0,
    channel_id: 0,
    ...extra,
  });
  const consume = (id: number, userId: number) =>
    log(id, userId, 2, {
      token_name: 'ci',
      model_name: 'gpt-4o-mini',
      quota: 900,
      prompt_tokens: 1000,
      completion_tokens: 500,
      channel_id: 1,
      ...(newApi
        ? { use_time: 2, is_stream: true, token_id: 2, group: 'default', other: JSON.stringify({ model_ratio: 0.3, group_ratio: 1, completion_ratio: 4 }) }
        : { elapsed_time: 1800, is_stream: true }),
    });
  const logs = [
    consume(1, 2),
    consume(2, 2),
    log(3, 2, 1, { content: '通过兑换码充值 $2.000000', quota: 1_000_000 }),
    log(4, 3, 3, { content: '管理员将用户额度从 $0 修改为 $24.69' }),
    consume(5, 6),
  ];

  const abilities = channels.flatMap((ch) =>
    String(ch.models)
      .split(',')
      .flatMap((model) => String(ch.group).split(',').map((group) => ({ group, model, channel_id: ch.id, enabled: ch.status === 1, priority: ch.priority }))),
  );

  return { rows: { users, tokens, channels, redemptions, options, logs, abilities }, passwords, keys, codes };
}
