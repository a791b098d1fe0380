import {
  expect,
  signUp,
  styleRadio,
  test,
} from './fixtures';
import { TURN_MS, confirmAndPay, expectPreview, microphone, typeUtterance, voiceSuite } from './voice-helpers';

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
});
