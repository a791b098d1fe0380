import {
  expect,
  signUp,
  styleRadio,
  test,
} from './fixtures';
import { TURN_MS, confirmAndPay, expectPreview, microphone, panel, typeUtterance, voiceSuite } from './voice-helpers';

// Voice ordering with a Korean microphone.
test.use(microphone('mic_ko.wav'));
voiceSuite('mic_ko.wav');

test.describe('a Korean microphone', () => {

  test('치킨 디너 매운 맛으로: previewed, changed to three by a second utterance, paid', async ({ page }) => {
    test.setTimeout(4 * TURN_MS);
    await signUp(page);
    await page.getByTestId('voice-record').click();
    await expect(page.getByTestId('voice-transcript')).toContainText('치킨', { timeout: TURN_MS });
    await expectPreview(page);
    await expect(page.getByTestId('builder-dinner')).toHaveValue('chicken');
    await expect(page.getByTestId('builder-quantity')).toHaveValue('1');
    await expect(styleRadio(page, 'spicy')).toBeChecked();

    await typeUtterance(page, '세 개로 바꿔줘');
    const price = await expectPreview(page);
    await expect(page.getByTestId('builder-quantity')).toHaveValue('3');
    await expect(page.getByTestId('builder-dinner')).toHaveValue('chicken');
    await expect(styleRadio(page, 'spicy')).toBeChecked();
    // (28,000 + 1,000) × 3 for a new (regular) customer.
    expect(price).toBe('87,000원');

    await confirmAndPay(page, price, '주문이 생성되었습니다');
  });

  test('a session of several dinners: two added, one changed by name, the other removed, paid', async ({ page }) => {
    test.setTimeout(5 * TURN_MS);
    await signUp(page);
    const lines = page.getByTestId('cart-line-name');
    await typeUtterance(page, '발렌타인 디너 그랜드 하나하고 치킨 디너 매운 맛 두 개요');
    await expectPreview(page);
    await expect(lines).toHaveCount(2);
    const session = await panel(page).getAttribute('data-session');
    expect(session).toBeTruthy();

    await typeUtterance(page, '발렌타인은 디럭스로 해 주세요');
    await expectPreview(page);
    await expect(lines).toHaveCount(2);
    await expect(lines.nth(0)).toHaveText('발렌타인 디너 · 디럭스 × 1');
    await expect(lines.nth(1)).toHaveText('치킨 디너 · 매운 맛 × 2');

    await typeUtterance(page, '치킨 디너는 필요 없어요');
    const price = await expectPreview(page);
    await expect(lines).toHaveCount(1);
    await expect(lines.nth(0)).toHaveText('발렌타인 디너 · 디럭스 × 1');
    await expect(panel(page)).toHaveAttribute('data-session', session as string);
    // 48,000 + 15,000: the chicken line is gone from the quote.
    await expect(page.getByTestId('price-original')).toHaveText('63,000원');

    await confirmAndPay(page, price, '주문이 생성되었습니다');
    await expect(page.getByTestId('order-item')).toHaveCount(1);
  });
});
