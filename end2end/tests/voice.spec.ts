import {
  OUT_OF_STOCK_MESSAGE,
  component,
  expect,
  expectMyOrders,
  fillDelivery,
  gotoHydrated,
  signUp,
  styleRadio,
  test,
} from './fixtures';
import { TURN_MS, confirmAndPay, expectPreview, microphone, panel, typeUtterance, voiceSuite } from './voice-helpers';

// Voice ordering with an English microphone: order, edit, latency, and a 409 at confirmation.
test.use(microphone('mic_en.wav'));
voiceSuite('mic_en.wav');

const LATENCY_RUNS = Number(process.env.VOICE_LATENCY_RUNS ?? 10);

test.describe('an English microphone', () => {
  test('a spoken order is previewed, confirmed as a pending voice order, then paid', async ({ page }) => {
    test.setTimeout(4 * TURN_MS);
    await signUp(page);
    await page.getByTestId('lang-toggle').click();
    await expect(page.locator('h1')).toHaveText('Order');

    await page.getByTestId('voice-record').click();
    // Recording stops by itself after the sentence (1.2 s of silence).
    await expect(page.getByTestId('voice-transcript')).toContainText(/french/i, { timeout: TURN_MS });
    const price = await expectPreview(page);
    await expect(page.getByTestId('builder-dinner')).toHaveValue('french');
    await expect(page.getByTestId('builder-quantity')).toHaveValue('2');
    await expect(styleRadio(page, 'grand')).toBeChecked();
    await expect(page.getByTestId('voice-response')).not.toBeEmpty();
    // A voice order is paid on the payment page: no card here, another button.
    await expect(page.getByTestId('checkout-submit')).toHaveCount(0);
    await expect(page.getByTestId('card-number')).toHaveCount(0);

    await confirmAndPay(page, price, 'Your order has been created');
  });

  test('a second utterance edits the order in progress and keeps the hand edits', async ({ page }) => {
    test.setTimeout(3 * TURN_MS);
    await gotoHydrated(page, '/order');
    await page.getByTestId('voice-record').click();
    await expectPreview(page);
    await expect(page.getByTestId('builder-dinner')).toHaveValue('french');
    await expect(page.getByTestId('builder-quantity')).toHaveValue('2');
    const session = await panel(page).getAttribute('data-session');
    expect(session).toBeTruthy();

    // Changed by hand, then by voice: the voice edit starts from what the page shows.
    await styleRadio(page, 'deluxe').check();
    await expect(styleRadio(page, 'deluxe')).toBeChecked();
    await typeUtterance(page, 'make it three');
    await expectPreview(page);
    await expect(page.getByTestId('builder-quantity')).toHaveValue('3');
    await expect(page.getByTestId('builder-dinner')).toHaveValue('french');
    await expect(styleRadio(page, 'deluxe')).toBeChecked();
    await expect(panel(page)).toHaveAttribute('data-session', session as string);
    // (52,000 + 15,000) × 3 before the French dinner's event discount.
    await expect(page.getByTestId('price-original')).toHaveText('201,000원');
  });

  test('the time from the end of recording to the preview on screen (p50, printed)', async ({ page }) => {
    test.setTimeout(LATENCY_RUNS * TURN_MS);
    const times: number[] = [];
    for (let run = 0; run < LATENCY_RUNS; run++) {
      await gotoHydrated(page, '/order');
      await page.getByTestId('voice-record').click();
      await expect(panel(page)).toHaveAttribute('data-preview-at', /\d/, { timeout: TURN_MS });
      const recorded = Number(await panel(page).getAttribute('data-recorded-at'));
      const preview = Number(await panel(page).getAttribute('data-preview-at'));
      expect(preview).toBeGreaterThan(recorded);
      times.push(preview - recorded);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const p50 = sorted[Math.floor((sorted.length - 1) / 2)];
    console.log(
      `voice: end of recording → preview on screen, p50 ${Math.round(p50)} ms over ${times.length} runs ` +
        `(min ${Math.round(sorted[0])}, max ${Math.round(sorted[sorted.length - 1])}; ` +
        `${times.map((t) => Math.round(t)).join(', ')})`,
    );
  });

  test('one utterance of two dinners fills two cart lines, priced and paid as one order', async ({ page }) => {
    test.setTimeout(4 * TURN_MS);
    await signUp(page);
    const lines = page.getByTestId('cart-line-name');
    await typeUtterance(page, '발렌타인 디너 그랜드 하나하고 치킨 디너 매운 맛 두 개요');
    const price = await expectPreview(page);
    await expect(lines).toHaveCount(2);
    await expect(lines.nth(0)).toHaveText('발렌타인 디너 · 그랜드 × 1');
    await expect(lines.nth(1)).toHaveText('치킨 디너 · 매운 맛 × 2');
    // (48,000 + 8,000) + 2 × (28,000 + 1,000): both lines in the quote.
    await expect(page.getByTestId('price-original')).toHaveText('114,000원');
    await confirmAndPay(page, price, '주문이 생성되었습니다');
    await expect(page.getByTestId('order-item')).toHaveCount(2);
  });

  test('stock short at confirmation shows the 409 message and creates nothing', async ({ page }) => {
    test.setTimeout(3 * TURN_MS);
    await signUp(page);
    await typeUtterance(page, 'two French dinners in grand style please');
    await expectPreview(page);

    // The customer turns it into ten feasts with ten bottles each: hongdae stocks 50 bottles.
    await page.getByTestId('builder-dinner').selectOption('champagne_feast');
    await page.getByTestId('builder-quantity').fill('10');
    await component(page, 'champagne').fill('10');
    await expect(page.getByTestId('price-final')).toHaveText('5,350,000원');
    await fillDelivery(page, { store: 'hongdae' });
    await page.getByTestId('voice-confirm').click();

    const error = page.locator('[data-testid=error][data-code=out_of_stock]');
    await expect(error).toHaveText(OUT_OF_STOCK_MESSAGE);
    await expect(page).toHaveURL((url) => url.pathname === '/order');
    await expectMyOrders(page, []);
  });
});
