// koishi and its adapters, loaded through require. Importing koishi as an ES module crashes ("Class extends value
// #<Object> is not a constructor"); the CommonJS build works and keeps a single copy of @koishijs/core, which the
// adapters (CommonJS too) must share with the app. Types come from the packages' declarations as usual.
import { createRequire } from 'node:module';
import type * as KoishiModule from 'koishi';

/**
 * An adapter as koishi plugs it in. The adapters' own declarations use extensionless relative imports, which do not
 * resolve under NodeNext, so only the part used here is typed; koishi validates the config against the adapter's schema.
 */
export type AdapterPlugin = KoishiModule.Plugin.Constructor<KoishiModule.Context, Record<string, unknown>>;
type QqAdapterModule = { QQBot: AdapterPlugin };
type OneBotAdapterModule = { OneBotBot: AdapterPlugin };

const require = createRequire(import.meta.url);

export const koishi = require('koishi') as typeof KoishiModule;

export function loadQqAdapter(): QqAdapterModule {
  return require('@satorijs/adapter-qq') as QqAdapterModule;
}

export function loadOneBotAdapter(): OneBotAdapterModule {
  return require('koishi-plugin-adapter-onebot') as OneBotAdapterModule;
}

export type KoishiContext = KoishiModule.Context;
export type KoishiSession = KoishiModule.Session;
export type KoishiElement = KoishiModule.Element;
