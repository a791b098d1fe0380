import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './chromium';

// The release server is started by the test script before Playwright runs (no `webServer` here).
// BASE_URL points at it; CHROMIUM_PATH overrides Debian's Chromium (no browser downloads).
export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1, // 2-core machine shared with the server
  retries: 0,
  reporter: 'list',
  timeout: 30_000,
  forbidOnly: !!process.env.CI,
  use: {
    baseURL: process.env.BASE_URL ?? 'http://127.0.0.1:3100',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath: CHROMIUM_PATH,
          args: CHROMIUM_ARGS,
        },
      },
    },
  ],
});
