// Component tests: jest-dom-like cleanup, the English dictionary, and the browser APIs Mantine expects.
import { afterEach } from 'vitest';
import { cleanup } from '@testing-library/react';
import { initI18n } from '../src/i18n';

initI18n('en');
afterEach(() => cleanup());

// Mantine's components ask for these; happy-dom leaves them out.
window.matchMedia ??= ((query: string) => ({
  matches: false,
  media: query,
  onchange: null,
  addListener: () => {},
  removeListener: () => {},
  addEventListener: () => {},
  removeEventListener: () => {},
  dispatchEvent: () => false,
})) as unknown as typeof window.matchMedia;
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
} as unknown as typeof ResizeObserver;
if (!('fonts' in document)) {
  Object.defineProperty(document, 'fonts', {
    value: { addEventListener: () => {}, removeEventListener: () => {}, ready: Promise.resolve() },
  });
}
