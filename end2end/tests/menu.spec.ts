import type { Page } from '@playwright/test';
import { DINNERS, SIDE_DISHES, expect, gotoHydrated, test } from './fixtures';

// Every test starts Korean: Playwright gives each test a fresh context, and we drop any cookie.
test.beforeEach(async ({ context }) => {
  await context.clearCookies();
});

const KOREAN_STYLE_NAMES: Record<string, string> = {
  simple: '심플',
  grand: '그랜드',
  deluxe: '디럭스',
  original: '오리지널',
  spicy: '매운 맛',
  soy_garlic: '간장 마늘',
};

/** Expects exactly these `data-code`s, in this order, on the elements `locator` matches. */
async function expectCodesInOrder(locator: ReturnType<Page['locator']>, codes: readonly string[]) {
  await expect(locator).toHaveCount(codes.length);
  for (const [i, code] of codes.entries()) {
    await expect(locator.nth(i)).toHaveAttribute('data-code', code);
  }
}

/** Expects exactly these `data-code`s, in any order, on the elements `locator` matches. */
async function expectCodes(locator: ReturnType<Page['locator']>, codes: readonly string[]) {
  await expect(locator).toHaveCount(codes.length);
  const found = await locator.evaluateAll((els) => els.map((el) => el.getAttribute('data-code')));
  expect([...found].sort()).toEqual([...codes].sort());
}

/** The detail page of the French dinner, in Korean (DESIGN.md §3: 52,000 + 0 / 8,000 / 15,000). */
async function expectFrenchDetail(page: Page) {
  const detail = page.locator('[data-testid=dinner-detail][data-code=french]');
  await expect(detail).toBeVisible();
  await expect(detail.getByTestId('dinner-name')).toHaveText('프렌치 디너');
  await expect(detail.getByTestId('dinner-price')).toHaveText('52,000원');

  const styles = detail.getByTestId('style-option');
  await expectCodes(styles, ['simple', 'grand', 'deluxe']);
  const totals = { simple: '52,000원', grand: '60,000원', deluxe: '67,000원' };
  for (const [code, total] of Object.entries(totals)) {
    const style = detail.locator(`[data-testid=style-option][data-code=${code}]`);
    await expect(style).toContainText(KOREAN_STYLE_NAMES[code]);
    await expect(style).toContainText(total);
  }

  await expectCodes(detail.getByTestId('component'), ['coffee', 'wine', 'salad', 'steak']);
  await expect(detail.locator('[data-testid=component][data-code=steak]')).toContainText('스테이크');
  await expectCodes(detail.getByTestId('side-dish'), SIDE_DISHES);
}

test('menu lists the five dinners in order with Korean prices and their styles', async ({ page }) => {
  await gotoHydrated(page, '/menu');

  await expect(page.locator('html')).toHaveAttribute('lang', 'ko');
  await expect(page.locator('h1')).toHaveText('메뉴');
  await expect(page.getByTestId('nav-menu')).toHaveText('메뉴');
  await expect(page.getByTestId('lang-toggle')).toHaveText('English');

  const cards = page.getByTestId('menu-card');
  await expectCodesInOrder(
    cards,
    DINNERS.map((d) => d.code),
  );

  for (const dinner of DINNERS) {
    const card = page.locator(`[data-testid=menu-card][data-code=${dinner.code}]`);
    await expect(card.getByTestId('menu-name')).toContainText(dinner.ko);
    await expect(card.getByTestId('menu-price')).toHaveText(`${dinner.price}원`);
    await expectCodesInOrder(card.getByTestId('menu-style'), dinner.styles);
    for (const style of dinner.styles) {
      await expect(card.locator(`[data-testid=menu-style][data-code=${style}]`)).toContainText(
        KOREAN_STYLE_NAMES[style],
      );
    }
    await expect(card.getByTestId('menu-components')).toHaveText(/\S/);
    await expect(card.getByTestId('menu-detail-link')).toHaveAttribute('href', `/menu/${dinner.code}`);
  }

  // The champagne feast is never served simple.
  const champagne = page.locator('[data-testid=menu-card][data-code=champagne_feast]');
  await expect(champagne.locator('[data-testid=menu-style][data-code=simple]')).toHaveCount(0);
  await expect(champagne.getByTestId('menu-name')).toContainText('2인용');
});

test('a card’s detail link navigates on the client to the dinner’s page', async ({ page }) => {
  await gotoHydrated(page, '/menu');

  // A full page load would lose this marker and request a new document.
  await page.evaluate(() => {
    (window as unknown as { __e2eMarker?: string }).__e2eMarker = 'still-here';
  });
  const documents: string[] = [];
  page.on('request', (request) => {
    if (request.resourceType() === 'document') documents.push(request.url());
  });

  await page.locator('[data-testid=menu-card][data-code=french]').getByTestId('menu-detail-link').click();

  await expect(page).toHaveURL(/\/menu\/french$/);
  await expectFrenchDetail(page);
  expect(await page.evaluate(() => (window as unknown as { __e2eMarker?: string }).__e2eMarker)).toBe(
    'still-here',
  );
  expect(documents, 'client-side navigation must not load a new document').toEqual([]);
});

test('a direct load of /menu/french shows the same detail and hydrates', async ({ page }) => {
  const response = await gotoHydrated(page, '/menu/french');
  expect(response?.status()).toBe(200);
  await expectFrenchDetail(page);
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the server renders the dinner detail by itself', async ({ page }) => {
    const response = await page.goto('/menu/french');
    expect(response?.status()).toBe(200);
    await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');
    await expectFrenchDetail(page);
  });
});

test('champagne feast detail has only grand and deluxe and its own components', async ({ page }) => {
  await gotoHydrated(page, '/menu/champagne_feast');
  const detail = page.locator('[data-testid=dinner-detail][data-code=champagne_feast]');
  await expect(detail.getByTestId('dinner-name')).toContainText('샴페인 축제 디너');
  await expect(detail.getByTestId('dinner-price')).toHaveText('120,000원');

  await expectCodes(detail.getByTestId('style-option'), ['grand', 'deluxe']);
  await expect(detail.locator('[data-testid=style-option][data-code=grand]')).toContainText('130,000원');
  await expect(detail.locator('[data-testid=style-option][data-code=deluxe]')).toContainText('140,000원');

  await expectCodes(detail.getByTestId('component'), ['champagne', 'baguette', 'coffee_pot', 'wine', 'steak']);
  await expectCodes(detail.getByTestId('side-dish'), SIDE_DISHES);
});

test('chicken detail offers its three flavours with their totals', async ({ page }) => {
  await gotoHydrated(page, '/menu/chicken');
  const detail = page.locator('[data-testid=dinner-detail][data-code=chicken]');
  await expectCodes(detail.getByTestId('style-option'), ['original', 'spicy', 'soy_garlic']);
  const totals = { original: '28,000원', spicy: '29,000원', soy_garlic: '29,000원' };
  for (const [code, total] of Object.entries(totals)) {
    const style = detail.locator(`[data-testid=style-option][data-code=${code}]`);
    await expect(style).toContainText(KOREAN_STYLE_NAMES[code]);
    await expect(style).toContainText(total);
  }
});

test('an unknown dinner answers 404 with an error message', async ({ page, consoleGuard }) => {
  // Chromium logs the 404 of the document itself as a console error; that one is expected.
  consoleGuard.ignore(/status of 404/);

  const response = await page.goto('/menu/nope');
  expect(response?.status()).toBe(404);
  await expect(page.getByTestId('error')).toBeVisible();
  await expect(page.locator('[data-testid=dinner-detail]')).toHaveCount(0);

  // The error page hydrates like any other.
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  await expect(page.getByTestId('error')).toBeVisible();
});

test('/, /menu and /menu/champagne_feast hydrate without browser errors', async ({ page, consoleGuard }) => {
  await gotoHydrated(page, '/');
  await expect(page.getByTestId('home-title')).toHaveText('미스터 대박 디너 서비스');
  await expect(page.getByTestId('cta-menu')).toHaveAttribute('href', '/menu');

  await gotoHydrated(page, '/menu');
  await expect(page.getByTestId('menu-card')).toHaveCount(DINNERS.length);

  await gotoHydrated(page, '/menu/champagne_feast');
  await expect(page.locator('[data-testid=dinner-detail][data-code=champagne_feast]')).toBeVisible();

  // The fixture checks this again after the test; saying it here makes the intent explicit.
  expect(consoleGuard.messages).toEqual([]);
});
