import type { Page } from '@playwright/test';
import { DINNERS, expect, gotoHydrated, test } from './fixtures';

// Every test starts Korean: Playwright gives each test a fresh context, and we drop any cookie.
test.beforeEach(async ({ context }) => {
  await context.clearCookies();
});

async function expectMenuInKorean(page: Page) {
  await expect(page.locator('html')).toHaveAttribute('lang', 'ko');
  await expect(page.getByTestId('lang-toggle')).toHaveText('English');
  await expect(page.getByTestId('nav-menu')).toHaveText('메뉴');
  await expect(page.locator('h1')).toHaveText('메뉴');
  for (const dinner of DINNERS) {
    const card = page.locator(`[data-testid=menu-card][data-code=${dinner.code}]`);
    await expect(card.getByTestId('menu-name')).toContainText(dinner.ko);
    await expect(card.getByTestId('menu-price')).toHaveText(`${dinner.price}원`);
  }
}

async function expectMenuInEnglish(page: Page) {
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByTestId('lang-toggle')).toHaveText('한국어');
  await expect(page.getByTestId('nav-menu')).toHaveText('Menu');
  await expect(page.locator('h1')).toHaveText('Menu');
  for (const dinner of DINNERS) {
    const card = page.locator(`[data-testid=menu-card][data-code=${dinner.code}]`);
    await expect(card.getByTestId('menu-name')).toContainText(dinner.en);
    await expect(card.getByTestId('menu-price')).toHaveText(`₩${dinner.price}`);
  }
  await expect(
    page.locator('[data-testid=menu-card][data-code=champagne_feast]').getByTestId('menu-name'),
  ).toContainText('serves 2');
}

async function langCookie(page: Page): Promise<string | undefined> {
  const cookies = await page.context().cookies();
  return cookies.find((c) => c.name === 'lang')?.value;
}

test('after hydration the switch changes the language in place and the cookie keeps it', async ({ page }) => {
  await gotoHydrated(page, '/menu');
  await expectMenuInKorean(page);

  // Hydrated: the switch calls the server function with fetch, no new document is loaded.
  const documents: string[] = [];
  page.on('request', (request) => {
    if (request.resourceType() === 'document') documents.push(request.url());
  });
  await page.getByTestId('lang-toggle').click();
  await expectMenuInEnglish(page);
  expect(documents, 'the hydrated switch must not reload the page').toEqual([]);
  await expect.poll(() => langCookie(page)).toBe('en');

  await page.reload();
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  await expectMenuInEnglish(page);

  await page.getByTestId('lang-toggle').click();
  await expectMenuInKorean(page);
  await expect.poll(() => langCookie(page)).toBe('ko');

  await page.reload();
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  await expectMenuInKorean(page);
});

test('the home page follows the switch too', async ({ page }) => {
  await gotoHydrated(page, '/');
  await expect(page.getByTestId('home-title')).toHaveText('미스터 대박 디너 서비스');
  await page.getByTestId('lang-toggle').click();
  await expect(page.getByTestId('home-title')).toHaveText('Mr. Daebak Dinner Service');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByTestId('lang-toggle')).toHaveText('한국어');
});

test.describe('before hydration', () => {
  // The WASM bundle is blocked below, so the browser reports the failed load and hydration
  // error(s); those are the point of this test.
  test.use({ allowConsoleErrors: true });

  test('the switch works as a plain form post', async ({ page }) => {
    await page.route('**/*.wasm', (route) => route.abort());

    /** Submits the switch and waits for the page the server redirects back to. */
    async function toggleWithoutWasm() {
      const posted = page.waitForRequest(
        (r) => r.method() === 'POST' && new URL(r.url()).pathname.startsWith('/api/set_language'),
      );
      const reloaded = page.waitForResponse(
        (r) =>
          r.request().isNavigationRequest() &&
          r.request().method() === 'GET' &&
          new URL(r.url()).pathname === '/menu',
      );
      await page.getByTestId('lang-toggle').click();
      const post = await posted;
      expect(post.isNavigationRequest(), 'the switch must submit the form natively').toBe(true);
      expect((await reloaded).status()).toBe(200);
      await page.waitForLoadState('domcontentloaded');
      await expect(page).toHaveURL(/\/menu\??$/);
    }

    await page.goto('/menu');
    await expectMenuInKorean(page);
    await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');

    await toggleWithoutWasm();
    await expectMenuInEnglish(page);
    await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');
    expect(await langCookie(page)).toBe('en');

    await page.reload();
    await expectMenuInEnglish(page);

    await toggleWithoutWasm();
    await expectMenuInKorean(page);
    expect(await langCookie(page)).toBe('ko');
  });
});

test('an error shows in the page language: English on an English page, Korean on a Korean one', async ({ page, consoleGuard }) => {
  // Chromium logs the failed log-in's 401 as a console error; that one is expected.
  consoleGuard.ignore(/status of 401/);
  await gotoHydrated(page, '/login');
  await page.getByTestId('lang-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');

  // An unknown account, so no demo account's failure count grows.
  await page.getByTestId('login-email').fill(`nobody-${Date.now()}@daebak.test`);
  await page.getByTestId('login-password').fill('not-the-password');
  await page.getByTestId('login-submit').click();
  const error = page.getByTestId('error');
  await expect(error).toHaveAttribute('data-code', 'bad_credentials');
  await expect(error).toHaveText('The email or password is incorrect.');

  await page.getByTestId('lang-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ko');
  await expect(error).toHaveText('이메일 또는 비밀번호가 올바르지 않습니다.');
});
