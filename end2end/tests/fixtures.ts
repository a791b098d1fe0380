import { test as base, expect, type Page, type Response } from '@playwright/test';

/**
 * Collects the browser errors of one test: `console` messages of type `error` and uncaught
 * exceptions (`pageerror`) on every page of the test's browser context.
 */
export interface ConsoleGuard {
  /** Everything collected so far, ignored or not, as `[console.error] …` / `[pageerror] …` lines. */
  readonly messages: string[];
  /** Lets errors matching any of these patterns pass (e.g. the ones a test provokes on purpose). */
  ignore(...patterns: RegExp[]): void;
  /** The collected messages that no pattern lets pass. */
  unexpected(): string[];
}

interface Fixtures {
  /**
   * Option: when true, the test does not fail on console errors or page errors
   * (`test.use({ allowConsoleErrors: true })`). Prefer `consoleGuard.ignore(...)` with specific
   * patterns where the expected errors are known.
   */
  allowConsoleErrors: boolean;
  /** Automatic: watches every page and fails the test at its end if any error was reported. */
  consoleGuard: ConsoleGuard;
}

function describeLocation(msg: { location(): { url: string; lineNumber: number } }): string {
  const { url, lineNumber } = msg.location();
  return url ? ` (${url}:${lineNumber})` : '';
}

export const test = base.extend<Fixtures>({
  allowConsoleErrors: [false, { option: true }],

  consoleGuard: [
    async ({ context, allowConsoleErrors }, use) => {
      const messages: string[] = [];
      const patterns: RegExp[] = [];
      const watched = new WeakSet<Page>();

      const watch = (page: Page) => {
        if (watched.has(page)) return;
        watched.add(page);
        page.on('console', (msg) => {
          // Chromium fetches /favicon.ico on its own and logs its 404 as a console error; the
          // app declares no icon, and that request is not the page's doing, so it is not counted.
          if (msg.type() === 'error' && !/\/favicon\.ico$/.test(msg.location().url)) {
            messages.push(`[console.error] ${msg.text()}${describeLocation(msg)} on ${page.url()}`);
          }
        });
        page.on('pageerror', (error) => {
          messages.push(`[pageerror] ${error.name}: ${error.message} on ${page.url()}`);
        });
      };
      context.pages().forEach(watch);
      context.on('page', watch);

      const guard: ConsoleGuard = {
        messages,
        ignore: (...more) => {
          patterns.push(...more);
        },
        unexpected: () => messages.filter((m) => !patterns.some((p) => p.test(m))),
      };

      await use(guard);

      context.off('page', watch);
      if (!allowConsoleErrors) {
        const unexpected = guard.unexpected();
        expect(
          unexpected,
          `the browser reported ${unexpected.length} error(s):\n${unexpected.join('\n')}`,
        ).toEqual([]);
      }
    },
    { auto: true },
  ],
});

export { expect };

/**
 * Navigates to `path` and waits until the WASM bundle has hydrated the server-rendered page
 * (the app sets `data-hydrated="true"` on `<body>` once it has). Returns the navigation response.
 */
export async function gotoHydrated(page: Page, path: string): Promise<Response | null> {
  const response = await page.goto(path);
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  return response;
}

/** The dinners of DESIGN.md §3, in menu order. */
export const DINNERS = [
  {
    code: 'valentine',
    ko: '발렌타인 디너',
    en: 'Valentine Dinner',
    price: '48,000',
    styles: ['simple', 'grand', 'deluxe'],
  },
  {
    code: 'french',
    ko: '프렌치 디너',
    en: 'French Dinner',
    price: '52,000',
    styles: ['simple', 'grand', 'deluxe'],
  },
  {
    code: 'english',
    ko: '잉글리시 디너',
    en: 'English Dinner',
    price: '42,000',
    styles: ['simple', 'grand', 'deluxe'],
  },
  {
    code: 'champagne_feast',
    ko: '샴페인 축제 디너',
    en: 'Champagne Feast Dinner',
    price: '120,000',
    styles: ['grand', 'deluxe'],
  },
  {
    code: 'chicken',
    ko: '치킨 디너',
    en: 'Chicken Dinner',
    price: '28,000',
    styles: ['original', 'spicy', 'soy_garlic'],
  },
] as const;

export const SIDE_DISHES = ['fries', 'salad', 'cheese_balls', 'garlic_bread', 'corn_soup', 'cola'] as const;
