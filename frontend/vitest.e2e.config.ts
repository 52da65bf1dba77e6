import { defineConfig } from 'vitest/config';

// End-to-end UI tests: Playwright drives Debian's Chromium against the real
// frontend served with live Go bindings (see e2e/ui.e2e.ts). Run by
// `go test ./e2e` (TestUIInChromium), which starts the backend first.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
