// The tables one-api and new-api create, written from their GORM structs (model/*.go) and turned into the DDL that
// GORM's AutoMigrate emits on each dialect: Go int → bigint (MySQL, PostgreSQL) / integer (SQLite); `type:int` → int;
// untyped string → longtext, or varchar(191) when indexed (MySQL) / text; bool → boolean / numeric (SQLite); float64 →
// double / decimal / real; gorm.DeletedAt → datetime(3) / timestamptz / datetime; explicit `type:` tags verbatim.
// one-api: v0.6.10 (model/user.go, token.go, channel.go, redemption.go, option.go, log.go, ability.go).
// new-api: main as read (same files; tokens with model limits and group, channels with tag / multi-key channel_info).
import type { Dialect } from '../../src/import/source.js';
import type { Variant } from '../../src/import/rows.js';

type Go = 'pk' | 'int' | 'int32' | 'int64' | 'uint' | 'string' | 'bool' | 'float64' | 'deletedAt';

interface Column {
  name: string;
  go: Go;
  /** an explicit `type:` tag: varchar(32), char(48), text, json */
  type?: string;
  default?: string | number | boolean;
  notNull?: boolean;
  unique?: boolean;
  index?: boolean;
  primaryKey?: boolean;
}

const c = (name: string, go: Go, tag: Omit<Column, 'name' | 'go'> = {}): Column => ({ name, go, ...tag });

const ONE_API: Record<string, Column[]> = {
  users: [
    c('id', 'pk'),
    c('username', 'string', { unique: true, index: true }),
    c('password', 'string', { notNull: true }),
    c('display_name', 'string', { index: true }),
    c('role', 'int32', { type: 'int', default: 1 }),
    c('status', 'int32', { type: 'int', default: 1 }),
    c('email', 'string', { index: true }),
    c('github_id', 'string', { index: true }),
    c('wechat_id', 'string', { index: true }),
    c('lark_id', 'string', { index: true }),
    c('access_token', 'string', { type: 'char(32)', unique: true }),
    c('quota', 'int64', { default: 0 }),
    c('used_quota', 'int64', { default: 0 }),
    c('request_count', 'int32', { type: 'int', default: 0 }),
    c('group', 'string', { type: 'varchar(32)', default: 'default' }),
    c('aff_code', 'string', { type: 'varchar(32)', unique: true }),
    c('inviter_id', 'int32', { type: 'int', index: true }),
  ],
  tokens: [
    c('id', 'pk'),
    c('user_id', 'int'),
    c('key', 'string', { type: 'char(48)', unique: true }),
    c('status', 'int', { default: 1 }),
    c('name', 'string', { index: true }),
    c('created_time', 'int64'),
    c('accessed_time', 'int64'),
    c('expired_time', 'int64', { default: -1 }),
    c('remain_quota', 'int64', { default: 0 }),
    c('unlimited_quota', 'bool', { default: false }),
    c('used_quota', 'int64', { default: 0 }),
    c('models', 'string', { type: 'text' }),
    c('subnet', 'string', { default: '' }),
  ],
  channels: [
    c('id', 'pk'),
    c('type', 'int', { default: 0 }),
    c('key', 'string', { type: 'text' }),
    c('status', 'int', { default: 1 }),
    c('name', 'string', { index: true }),
    c('weight', 'uint', { default: 0 }),
    c('created_time', 'int64'),
    c('test_time', 'int64'),
    c('response_time', 'int'),
    c('base_url', 'string', { default: '' }),
    c('other', 'string'),
    c('balance', 'float64'),
    c('balance_updated_time', 'int64'),
    c('models', 'string'),
    c('group', 'string', { type: 'varchar(32)', default: 'default' }),
    c('used_quota', 'int64', { default: 0 }),
    c('model_mapping', 'string', { type: 'varchar(1024)', default: '' }),
    c('priority', 'int64', { default: 0 }),
    c('config', 'string'),
    c('system_prompt', 'string', { type: 'text' }),
  ],
  redemptions: [
    c('id', 'pk'),
    c('user_id', 'int'),
    c('key', 'string', { type: 'char(32)', unique: true }),
    c('status', 'int', { default: 1 }),
    c('name', 'string', { index: true }),
    c('quota', 'int64', { default: 100 }),
    c('created_time', 'int64'),
    c('redeemed_time', 'int64'),
  ],
  options: [c('key', 'string', { primaryKey: true }), c('value', 'string')],
  logs: [
    c('id', 'pk'),
    c('user_id', 'int', { index: true }),
    c('created_at', 'int64', { index: true }),
    c('type', 'int', { index: true }),
    c('content', 'string'),
    c('username', 'string', { default: '', index: true }),
    c('token_name', 'string', { default: '', index: true }),
    c('model_name', 'string', { default: '', index: true }),
    c('quota', 'int', { default: 0 }),
    c('prompt_tokens', 'int', { default: 0 }),
    c('completion_tokens', 'int', { default: 0 }),
    c('channel_id', 'int', { index: true }),
    c('request_id', 'string', { default: '' }),
    c('elapsed_time', 'int64', { default: 0 }),
    c('is_stream', 'bool', { default: false }),
    c('system_prompt_reset', 'bool', { default: false }),
  ],
  abilities: [
    c('group', 'string', { type: 'varchar(32)', primaryKey: true }),
    c('model', 'string', { primaryKey: true }),
    c('channel_id', 'int', { primaryKey: true, index: true }),
    c('enabled', 'bool'),
    c('priority', 'int64', { default: 0, index: true }),
  ],
};

const NEW_API: Record<string, Column[]> = {
  users: [
    c('id', 'pk'),
    c('username', 'string', { unique: true, index: true }),
    c('password', 'string', { notNull: true }),
    c('display_name', 'string', { index: true }),
    c('role', 'int32', { type: 'int', default: 1 }),
    c('status', 'int32', { type: 'int', default: 1 }),
    c('email', 'string', { index: true }),
    c('github_id', 'string', { index: true }),
    c('discord_id', 'string', { index: true }),
    c('oidc_id', 'string', { index: true }),
    c('wechat_id', 'string', { index: true }),
    c('telegram_id', 'string', { index: true }),
    c('access_token', 'string', { type: 'char(32)', unique: true }),
    c('quota', 'int32', { type: 'int', default: 0 }),
    c('used_quota', 'int32', { type: 'int', default: 0 }),
    c('request_count', 'int32', { type: 'int', default: 0 }),
    c('group', 'string', { type: 'varchar(64)', default: 'default' }),
    c('aff_code', 'string', { type: 'varchar(32)', unique: true }),
    c('aff_count', 'int32', { type: 'int', default: 0 }),
    c('aff_quota', 'int32', { type: 'int', default: 0 }),
    c('aff_history', 'int32', { type: 'int', default: 0 }),
    c('inviter_id', 'int32', { type: 'int', index: true }),
    c('deleted_at', 'deletedAt', { index: true }),
    c('linux_do_id', 'string', { index: true }),
    c('setting', 'string', { type: 'text' }),
    c('remark', 'string', { type: 'varchar(255)' }),
    c('stripe_customer', 'string', { type: 'varchar(64)', index: true }),
    c('created_at', 'int64'),
    c('last_login_at', 'int64', { default: 0 }),
  ],
  tokens: [
    c('id', 'pk'),
    c('user_id', 'int', { index: true }),
    c('key', 'string', { type: 'varchar(128)', unique: true }),
    c('status', 'int', { default: 1 }),
    c('name', 'string', { index: true }),
    c('created_time', 'int64'),
    c('accessed_time', 'int64'),
    c('expired_time', 'int64', { default: -1 }),
    c('remain_quota', 'int', { default: 0 }),
    c('unlimited_quota', 'bool'),
    c('model_limits_enabled', 'bool'),
    c('model_limits', 'string', { type: 'text' }),
    c('allow_ips', 'string', { default: '' }),
    c('used_quota', 'int', { default: 0 }),
    c('group', 'string', { default: '' }),
    c('cross_group_retry', 'bool'),
    c('deleted_at', 'deletedAt', { index: true }),
  ],
  channels: [
    c('id', 'pk'),
    c('type', 'int', { default: 0 }),
    c('key', 'string', { notNull: true }),
    c('openai_organization', 'string'),
    c('test_model', 'string'),
    c('status', 'int', { default: 1 }),
    c('name', 'string', { index: true }),
    c('weight', 'uint', { default: 0 }),
    c('created_time', 'int64'),
    c('test_time', 'int64'),
    c('response_time', 'int'),
    c('base_url', 'string', { default: '' }),
    c('other', 'string'),
    c('balance', 'float64'),
    c('balance_updated_time', 'int64'),
    c('models', 'string'),
    c('group', 'string', { type: 'varchar(64)', default: 'default' }),
    c('used_quota', 'int64', { default: 0 }),
    c('model_mapping', 'string', { type: 'text' }),
    c('status_code_mapping', 'string', { type: 'varchar(1024)', default: '' }),
    c('priority', 'int64', { default: 0 }),
    c('auto_ban', 'int', { default: 1 }),
    c('other_info', 'string'),
    c('tag', 'string', { index: true }),
    c('setting', 'string', { type: 'text' }),
    c('param_override', 'string', { type: 'text' }),
    c('header_override', 'string', { type: 'text' }),
    c('remark', 'string', { type: 'varchar(255)' }),
    c('channel_info', 'string', { type: 'json' }),
    c('settings', 'string'),
  ],
  redemptions: [
    c('id', 'pk'),
    c('user_id', 'int'),
    c('key', 'string', { type: 'char(32)', unique: true }),
    c('status', 'int', { default: 1 }),
    c('name', 'string', { index: true }),
    c('quota', 'int', { default: 100 }),
    c('created_time', 'int64'),
    c('redeemed_time', 'int64'),
    c('used_user_id', 'int', { index: true }),
    c('deleted_at', 'deletedAt', { index: true }),
    c('expired_time', 'int64'),
  ],
  options: [c('key', 'string', { primaryKey: true }), c('value', 'string')],
  logs: [
    c('id', 'pk'),
    c('user_id', 'int', { index: true }),
    c('created_at', 'int64', { index: true }),
    c('type', 'int', { index: true }),
    c('content', 'string'),
    c('username', 'string', { default: '', index: true }),
    c('token_name', 'string', { default: '', index: true }),
    c('model_name', 'string', { default: '', index: true }),
    c('quota', 'int', { default: 0 }),
    c('prompt_tokens', 'int', { default: 0 }),
    c('completion_tokens', 'int', { default: 0 }),
    c('use_time', 'int', { default: 0 }),
    c('is_stream', 'bool'),
    c('channel_id', 'int', { index: true }),
    c('token_id', 'int', { default: 0, index: true }),
    c('group', 'string', { index: true }),
    c('ip', 'string', { default: '', index: true }),
    c('other', 'string'),
  ],
  abilities: [
    c('group', 'string', { type: 'varchar(64)', primaryKey: true }),
    c('model', 'string', { type: 'varchar(255)', primaryKey: true }),
    c('channel_id', 'int', { primaryKey: true, index: true }),
    c('enabled', 'bool'),
    c('priority', 'int64', { default: 0, index: true }),
    c('weight', 'uint', { default: 0, index: true }),
    c('tag', 'string', { index: true }),
  ],
};

export const SCHEMAS: Record<Variant, Record<string, Column[]>> = { 'one-api': ONE_API, 'new-api': NEW_API };

export const quoteIdent = (dialect: Dialect, name: string): string => (dialect === 'mysql' ? `\`${name}\`` : `"${name}"`);

function typeOf(dialect: Dialect, col: Column): string {
  const indexed = col.index || col.unique || col.primaryKey;
  if (col.type) {
    if (col.type === 'json' && dialect === 'sqlite') return 'json';
    return col.type;
  }
  switch (col.go) {
    case 'pk':
      return { mysql: 'bigint AUTO_INCREMENT', postgresql: 'bigserial', sqlite: 'integer PRIMARY KEY AUTOINCREMENT' }[dialect];
    case 'int':
    case 'int64':
      return dialect === 'sqlite' ? 'integer' : 'bigint';
    case 'int32':
      return dialect === 'sqlite' ? 'integer' : 'int';
    case 'uint':
      return { mysql: 'bigint unsigned', postgresql: 'bigint', sqlite: 'integer' }[dialect];
    case 'string':
      if (dialect === 'mysql') return indexed ? 'varchar(191)' : 'longtext';
      return 'text';
    case 'bool':
      return dialect === 'sqlite' ? 'numeric' : 'boolean';
    case 'float64':
      return { mysql: 'double', postgresql: 'decimal', sqlite: 'real' }[dialect];
    case 'deletedAt':
      return { mysql: 'datetime(3) NULL', postgresql: 'timestamptz', sqlite: 'datetime' }[dialect];
  }
}

function defaultOf(value: string | number | boolean): string {
  if (typeof value === 'string') return `'${value.replace(/'/g, "''")}'`;
  return String(value);
}

/** CREATE TABLE + CREATE INDEX statements, as AutoMigrate would run them. */
export function ddl(variant: Variant, dialect: Dialect): string[] {
  const q = (n: string) => quoteIdent(dialect, n);
  const out: string[] = [];
  for (const [table, columns] of Object.entries(SCHEMAS[variant])) {
    const defs = columns.map((col) => {
      let def = `${q(col.name)} ${typeOf(dialect, col)}`;
      if (col.notNull) def += ' NOT NULL';
      if (col.default !== undefined) def += ` DEFAULT ${defaultOf(col.default)}`;
      return def;
    });
    const keys = columns.filter((col) => col.primaryKey || (col.go === 'pk' && dialect !== 'sqlite')).map((col) => q(col.name));
    if (keys.length > 0) defs.push(`PRIMARY KEY (${keys.join(',')})`);
    out.push(`CREATE TABLE ${q(table)} (${defs.join(',')})`);
    for (const col of columns) {
      if (col.unique) out.push(`CREATE UNIQUE INDEX ${q(`idx_${table}_${col.name}`)} ON ${q(table)} (${q(col.name)})`);
      else if (col.index && !col.primaryKey) out.push(`CREATE INDEX ${q(`idx_${table}_${col.name}`)} ON ${q(table)} (${q(col.name)})`);
    }
  }
  return out;
}
