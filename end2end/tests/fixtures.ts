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

// Customers, builder fields, cards and the pages that follow an order (shared by the suites).

export const GOOD_CARD = '4242 4242 4242 4242';
export const DECLINED_CARD = '4000 0000 0000 0002';
export const BAD_LUHN_CARD = '4242 4242 4242 4241';

export const ORDER_NUMBER = /MD-\d{8}-\d{6,}/;
export const CONFIRMATION = /^주문이 완료되었습니다\. 주문 번호: MD-\d{8}-\d{6,}$/;
export const DECLINED_MESSAGE = '결제에 실패했습니다. 다시 시도해 주세요.';
export const OUT_OF_STOCK_MESSAGE = '선택하신 메뉴의 재료가 부족합니다. 다른 메뉴를 선택해 주세요.';

export function uniqueEmail(): string {
  return `e2e-${Date.now()}-${Math.random().toString(36).slice(2)}@daebak.test`;
}

/**
 * Signs up a new customer on `/signup?next=…` and waits until the app has navigated to `next`
 * and the header shows the customer with the `regular` tier.
 */
export async function signUp(page: Page, next = '/order'): Promise<{ email: string; name: string }> {
  const email = uniqueEmail();
  const name = `테스트 고객 ${Math.random().toString(36).slice(2, 7)}`;
  await gotoHydrated(page, `/signup?next=${encodeURIComponent(next)}`);
  await page.getByTestId('signup-email').fill(email);
  await page.getByTestId('signup-password').fill('daebak-e2e-1234');
  await page.getByTestId('signup-name').fill(name);
  await page.getByTestId('signup-phone').fill('010-1234-5678');
  await page.getByTestId('signup-submit').click();

  const nextUrl = new URL(next, 'http://x');
  await expect(page).toHaveURL((url) => url.pathname === nextUrl.pathname);
  await expect(page.getByTestId('account-link')).toContainText(name);
  await expect(page.getByTestId('tier')).toHaveText('regular');
  return { email, name };
}

/** The builder of `/order?menu=<dinner>`, loaded fresh and hydrated, signed in. */
export async function openBuilder(page: Page, dinner: string) {
  await gotoHydrated(page, `/order?menu=${dinner}`);
  const builder = page.getByTestId('order-builder');
  await expect(builder).toBeVisible();
  await expect(page.getByTestId('login-required')).toHaveCount(0);
  await expect(page.getByTestId('builder-dinner')).toHaveValue(dinner);
  return builder;
}

export function component(page: Page, code: string) {
  return page.locator(`[data-testid=builder-component][data-code=${code}] input`);
}

export function side(page: Page, code: string) {
  return page.locator(`[data-testid=builder-side][data-code=${code}] input`);
}

export function styleRadio(page: Page, code: string) {
  return page.locator(`[data-testid=builder-style][data-code=${code}] input[type=radio]`);
}

/** A `datetime-local` value `days` days from now at 19:00, in Korea's time (UTC+9). */
export function requestedAtInDays(days: number): string {
  const kst = new Date(Date.now() + days * 24 * 3600 * 1000 + 9 * 3600 * 1000);
  return `${kst.toISOString().slice(0, 10)}T19:00`;
}

export async function fillDelivery(page: Page, opts: { store?: string; requestedAt?: string } = {}) {
  if (opts.store) await page.getByTestId('builder-store').selectOption(opts.store);
  await page.getByTestId('builder-address').fill('서울특별시 강남구 테헤란로 427, 10층');
  await page.getByTestId('builder-recipient').fill('홍길동');
  await page.getByTestId('builder-phone').fill('010-9876-5432');
  if (opts.requestedAt) await page.getByTestId('builder-requested-at').fill(opts.requestedAt);
  await page.getByTestId('builder-notes').fill('문 앞에 놓아 주세요');
}

export async function fillCard(page: Page, number: string) {
  await page.getByTestId('card-number').fill(number);
  await page.getByTestId('card-expiry').fill('12/30');
  await page.getByTestId('card-cvv').fill('123');
  await page.getByTestId('card-holder').fill('HONG GILDONG');
}

/** Waits for the confirmation page of a paid order and returns its order number. */
export async function expectConfirmation(page: Page): Promise<string> {
  await expect(page).toHaveURL(/\/orders\/\d+$/);
  const message = page.getByTestId('confirmation-message');
  await expect(message).toHaveText(CONFIRMATION);
  const orderNumber = (await message.textContent())?.match(ORDER_NUMBER)?.[0];
  expect(orderNumber, 'the confirmation names the order number').toBeTruthy();
  return orderNumber as string;
}

/** `/orders` lists exactly these order numbers, in any order. */
export async function expectMyOrders(page: Page, orderNumbers: string[]) {
  await gotoHydrated(page, '/orders');
  await expect(page.locator('h1')).toHaveText('내 주문');
  const rows = page.getByTestId('my-order');
  if (orderNumbers.length === 0) {
    // Wait for the loaded list, not the loading fallback, before counting nothing.
    await expect(page.getByText('아직 주문이 없습니다.')).toBeVisible();
  }
  await expect(rows).toHaveCount(orderNumbers.length);
  const listed = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-order-number')));
  expect([...listed].sort()).toEqual([...orderNumbers].sort());
}
