import { type Browser, type Page } from '@playwright/test';
import {
  GOOD_CARD,
  expect,
  expectConfirmation,
  fillCard,
  fillDelivery,
  gotoHydrated,
  openBuilder,
  signUp,
  test,
} from './fixtures';

// The restaurant's side (DESIGN §10): a customer in one browser context, the kitchen and the
// rider in others, each following the same order live through the event streams.
test.describe.configure({ mode: 'serial' });

/** A new browser context signed in as a seeded staff member, on the board. */
async function staffPage(browser: Browser, email: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await gotoHydrated(page, '/login');
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill('daebak1234');
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(/\/staff$/);
  await expect(page.getByTestId('staff-board')).toBeVisible();
  await page.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
  return page;
}

/** The customer signs up and pays one chicken dinner at 강남점; returns the order number. */
async function payChickenDinner(page: Page): Promise<string> {
  await signUp(page);
  await openBuilder(page, 'chicken');
  await fillDelivery(page);
  await fillCard(page, GOOD_CARD);
  await page.getByTestId('checkout-submit').click();
  return expectConfirmation(page);
}

function card(page: Page, orderNumber: string) {
  return page.locator(`[data-testid=staff-order][data-order-number="${orderNumber}"]`);
}

test('the kitchen sees a paid order live, and the customer follows it to the door', async ({ page, browser }) => {
  const kitchen = await staffPage(browser, 'kitchen@daebak.test');
  const orderNumber = await payChickenDinner(page);

  // On the board without a reload: in the new column, highlighted, with its lines and notes.
  const onBoard = card(kitchen, orderNumber);
  await expect(onBoard).toBeVisible({ timeout: 5_000 });
  await expect(kitchen.getByTestId('column-confirmed').locator(`[data-order-number="${orderNumber}"]`)).toHaveCount(1);
  await expect(onBoard).toHaveClass(/fresh/);
  await expect(onBoard.getByTestId('staff-line')).toContainText('치킨 디너');
  await expect(onBoard.getByTestId('staff-notes')).toContainText('문 앞에 놓아 주세요');

  // The customer's page has a cancel form until the kitchen starts.
  await expect(page.getByTestId('cancel-form')).toBeVisible();
  await onBoard.getByTestId('advance').click();
  await expect(kitchen.getByTestId('column-preparing').locator(`[data-order-number="${orderNumber}"]`)).toHaveCount(1);
  await expect(page.getByTestId('order-status')).toContainText('준비 중');
  await expect(page.getByTestId('cancel-closed')).toBeVisible();
  await expect(page.getByTestId('cancel-form')).toHaveCount(0);

  const rider = await staffPage(browser, 'rider@daebak.test');
  await card(rider, orderNumber).getByTestId('advance').click();
  await expect(page.getByTestId('order-status')).toContainText('배달 중');
  await expect(card(kitchen, orderNumber)).toHaveAttribute('data-status', 'delivering');
  await card(rider, orderNumber).getByTestId('advance').click();
  await expect(page.getByTestId('order-status')).toContainText('배달 완료');
  const steps = page.getByTestId('timeline-step');
  await expect(steps).toHaveCount(5);
  await expect(steps.last()).toHaveAttribute('data-status', 'delivered');
  await kitchen.context().close();
  await rider.context().close();
});

test('a customer cancels a confirmed order and sees the refund', async ({ page }) => {
  await payChickenDinner(page);
  await page.getByTestId('cancel-reason').fill('일정이 바뀌었어요');
  await page.getByTestId('cancel-order').click();
  await expect(page.getByTestId('order-status')).toContainText('취소됨');
  await expect(page.getByTestId('order-refund')).toContainText('28,000원');
  await expect(page.getByTestId('order-refund')).toContainText('**** **** **** 4242');
  await expect(page.getByTestId('timeline-step').last()).toContainText('일정이 바뀌었어요');
  await expect(page.getByTestId('cancel-form')).toHaveCount(0);
});

/** A `datetime-local` value `hours` from now, in Korea's time (UTC+9). */
function kstInHours(hours: number): string {
  return new Date(Date.now() + (hours + 9) * 3_600_000).toISOString().slice(0, 16);
}

test("a manager's event changes the price in the builder at once", async ({ page, browser }) => {
  await signUp(page);
  await openBuilder(page, 'english');
  const price = page.getByTestId('price-final');
  await expect(price).toHaveText('42,000원');

  const manager = await staffPage(browser, 'manager@daebak.test');
  await gotoHydrated(manager, '/staff/events');
  // Its own title, so a retry or a second run against the same database finds only its row.
  const title = `잉글리시 주간 ${Date.now()}`;
  await manager.getByTestId('event-title-ko').fill(title);
  await manager.getByTestId('event-title-en').fill('English week');
  await manager.getByTestId('event-percent').fill('25');
  await manager.getByTestId('event-from').fill(kstInHours(-1));
  await manager.getByTestId('event-to').fill(kstInHours(24));
  await manager.locator('[data-testid=event-menu][data-code=english] input').check();
  await manager.getByTestId('event-save').click();
  const row = manager.getByTestId('event-row').filter({ hasText: title });
  try {
    await expect(row).toHaveAttribute('data-running', 'true');
    // The customer's next quote has it: 2 × 42,000 − 25 %.
    await page.getByTestId('builder-quantity').fill('2');
    await expect(price).toHaveText('63,000원');
  } finally {
    // Ended, so no later test sees the discount.
    await row.getByTestId('event-end').click();
    await expect(row).toHaveAttribute('data-running', 'false');
  }
  await page.getByTestId('builder-quantity').fill('1');
  await expect(price).toHaveText('42,000원');
  await manager.context().close();
});

test('a customer may not open the kitchen board', async ({ page }) => {
  await signUp(page);
  await gotoHydrated(page, '/staff');
  await expect(page.getByTestId('error')).toHaveAttribute('data-code', 'forbidden');
});
