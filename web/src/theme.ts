import { createTheme } from '@mantine/core';

// The default theme (its CSS variables ship in @mantine/core/styles.css); only component defaults change here.
// Modals and drawers do not lock the page's scroll: the library that does it injects a <style> element, which the
// strict Content-Security-Policy (style-src 'self') refuses. The overlay still covers the page.
export const theme = createTheme({
  components: {
    Button: { defaultProps: { radius: 'md' } },
    TextInput: { defaultProps: { radius: 'md' } },
    Modal: { defaultProps: { lockScroll: false } },
    Drawer: { defaultProps: { lockScroll: false } },
  },
});
