import {
  BAD_LUHN_CARD,
  DECLINED_CARD,
  DECLINED_MESSAGE,
  GOOD_CARD,
  ORDER_NUMBER,
  OUT_OF_STOCK_MESSAGE,
  component,
  expect,
  expectConfirmation,
  expectMyOrders,
  fillCard,
  fillDelivery,
  openBuilder,
  requestedAtInDays,
  side,
  signUp,
  styleRadio,
  test,
} from './fixtures';

// GUI checkout end to end (DESIGN.md §3 menu, §5 pricing, §6 mock payment, §8 messages).
// Each test signs up its own customer, so every customer starts as `regular` (0 %) with no
// orders. The seed stocks every ingredient with at least 50 units per store; the `hongdae`
// store has exactly 50 bottles of champagne, which the out-of-stock test exceeds.
test.describe.configure({ mode: 'serial' });

// Fresh context per test; drop any cookie (language, session) so every test starts Korean and
// signed out.
test.beforeEach(async ({ context, consoleGuard }) => {
  await context.clearCookies();
  // Chromium logs a server function's failed HTTP response (402 decline, 409 out of stock,
  // 400 bad card, 401) as a console error. These tests provoke exactly those on purpose.
  consoleGuard.ignore(/Failed to load resource: the server responded with a status of (402|409|400|401)/);
});

test('a new customer builds a chicken dinner, sees the live price and pays', async ({ page }) => {
  // Sign-up lands on the builder (the default `next`), navigated on the client.
  await signUp(page);
  await expect(page.getByTestId('order-builder')).toBeVisible();
  await expect(page.getByTestId('login-required')).toHaveCount(0);

  const price = page.getByTestId('price-final');
  await page.getByTestId('builder-dinner').selectOption('chicken');
  await expect(page.getByTestId('builder-dinner')).toHaveValue('chicken');
  await expect(styleRadio(page, 'original')).toBeChecked();
  await expect(component(page, 'fried_chicken')).toHaveValue('1');
  await expect(component(page, 'pickled_radish')).toHaveValue('1');
  await expect(component(page, 'cola')).toHaveValue('1');
  await expect(side(page, 'fries')).toHaveValue('0');
  await expect(price).toHaveText('28,000원');

  // Every change re-prices the order on the server (§3: spicy +1,000, an extra fried chicken
  // +15,000, fries 4,000; §5: regular 0 %, chicken has no active event).
  await styleRadio(page, 'spicy').check();
  await expect(price).toHaveText('29,000원');
  await component(page, 'fried_chicken').fill('2');
  await expect(price).toHaveText('44,000원');
  await side(page, 'fries').fill('1');
  await expect(price).toHaveText('48,000원');
  await expect(page.getByTestId('price-original')).toHaveText('48,000원');
  await expect(page.getByTestId('price-discount')).toHaveCount(0);

  await fillDelivery(page, { requestedAt: requestedAtInDays(3) });
  await fillCard(page, GOOD_CARD);
  await expect(page.getByTestId('builder-store')).toHaveValue('gangnam');
  await page.getByTestId('checkout-submit').click();

  const orderNumber = await expectConfirmation(page);
  await expect(page.getByTestId('order-total')).toHaveText('48,000원');
  const item = page.locator('[data-testid=order-item][data-code=chicken]');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText('치킨 디너');
  await expect(item).toContainText('매운 맛');
  await expect(page.getByTestId('order-item')).toHaveCount(1);
  const fries = page.locator('[data-testid=order-side][data-code=fries]');
  await expect(fries).toHaveCount(1);
  await expect(fries).toContainText('감자튀김');
  await expect(fries).toContainText('4,000원');
  await expect(page.getByTestId('order-side')).toHaveCount(1);
  await expect(page.getByTestId('order-eta')).toHaveText(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
  await expect(page.getByTestId('order-status')).toContainText('결제 완료');
  await expect(page.getByTestId('pay-link')).toHaveCount(0);

  await expectMyOrders(page, [orderNumber]);
  await expect(page.locator(`[data-testid=my-order][data-order-number="${orderNumber}"]`)
    .getByTestId('my-order-status')).toContainText('결제 완료');
});

test('a declined card keeps the order payable; paying again confirms it', async ({ page }) => {
  await signUp(page);
  await openBuilder(page, 'chicken');

  // Two spicy chicken dinners with an extra fried chicken each, plus fries: 2 × 44,000 + 4,000.
  const price = page.getByTestId('price-final');
  await expect(price).toHaveText('28,000원');
  await styleRadio(page, 'spicy').check();
  await expect(price).toHaveText('29,000원');
  await component(page, 'fried_chicken').fill('2');
  await expect(price).toHaveText('44,000원');
  await page.getByTestId('builder-quantity').fill('2');
  await expect(price).toHaveText('88,000원');
  await side(page, 'fries').fill('1');
  await expect(price).toHaveText('92,000원');

  await fillDelivery(page);
  await fillCard(page, DECLINED_CARD);
  await page.getByTestId('checkout-submit').click();

  // 2a: the order exists, pending; the customer lands on its payment page.
  await expect(page).toHaveURL(/\/orders\/\d+\/pay\?declined=1$/);
  const orderId = page.url().match(/\/orders\/(\d+)\/pay/)?.[1];
  const declined = page.getByTestId('error');
  await expect(declined).toHaveText(DECLINED_MESSAGE);
  await expect(page.getByTestId('pay-total')).toHaveText('92,000원');
  await expect(page.getByTestId('pay-order-number')).toHaveText(ORDER_NUMBER);
  const orderNumber = (await page.getByTestId('pay-order-number').textContent())?.trim() ?? '';

  await fillCard(page, GOOD_CARD);
  await page.getByTestId('pay-submit').click();

  await expect(page).toHaveURL(new RegExp(`/orders/${orderId}$`));
  const confirmed = await expectConfirmation(page);
  expect(confirmed).toBe(orderNumber);
  await expect(page.getByTestId('order-total')).toHaveText('92,000원');
  await expect(page.getByTestId('order-status')).toContainText('결제 완료');

  // One order, paid — the decline did not create a second one.
  await expectMyOrders(page, [orderNumber]);
  await expect(page.getByTestId('my-order-status')).toContainText('결제 완료');
});

test('ordering more than the store has shows 2b and creates nothing', async ({ page }) => {
  await signUp(page);
  await openBuilder(page, 'champagne_feast');

  // Ten grand feasts with ten bottles each: 100 bottles, and hongdae stocks 50.
  const price = page.getByTestId('price-final');
  await expect(styleRadio(page, 'grand')).toBeChecked();
  await expect(price).toHaveText('130,000원');
  await page.getByTestId('builder-quantity').fill('10');
  await expect(price).toHaveText('1,300,000원');
  await component(page, 'champagne').fill('10');
  // (130,000 + 9 × 45,000) × 10; no active event applies to the feast.
  await expect(price).toHaveText('5,350,000원');

  await fillDelivery(page, { store: 'hongdae' });
  await expect(page.getByTestId('builder-store')).toHaveValue('hongdae');
  await fillCard(page, GOOD_CARD);
  await page.getByTestId('checkout-submit').click();

  const error = page.locator('[data-testid=error][data-code=out_of_stock]');
  await expect(error).toHaveText(OUT_OF_STOCK_MESSAGE);
  await expect(page).toHaveURL((url) => url.pathname === '/order');
  await expect(page.getByTestId('order-builder')).toBeVisible();
  await expect(page.getByTestId('confirmation-message')).toHaveCount(0);

  await expectMyOrders(page, []);
});

test('a card number failing the Luhn check names the field and creates nothing', async ({ page }) => {
  await signUp(page);
  await openBuilder(page, 'chicken');
  await expect(page.getByTestId('price-final')).toHaveText('28,000원');

  await fillDelivery(page);
  await fillCard(page, BAD_LUHN_CARD);
  await page.getByTestId('checkout-submit').click();

  const error = page.locator('[data-testid=error][data-code=invalid_input]');
  await expect(error).toBeVisible();
  await expect(error).toContainText('card_number');
  await expect(page).toHaveURL((url) => url.pathname === '/order');
  await expect(page.getByTestId('confirmation-message')).toHaveCount(0);

  await expectMyOrders(page, []);
});
