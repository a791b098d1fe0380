import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium';
import {
  GOOD_CARD,
  expect,
  expectConfirmation,
  fillCard,
  fillDelivery,
  signUp,
  test,
} from './fixtures';
import { panel, voiceSuite } from './voice-helpers';

// A microphone the browser refuses: no fake permission prompt, and prompts are denied.
test.use({
  launchOptions: {
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--deny-permission-prompts'],
  },
});
voiceSuite();

test.describe('a denied microphone', () => {
  test('says so, and the typed box and the GUI still work', async ({ page, context }) => {
    await context.clearPermissions();
    await signUp(page);
    await page.getByTestId('voice-record').click();
    const denied = page.locator('[data-testid=voice-mic-error][data-code=mic_denied]');
    await expect(denied).toContainText('마이크 사용이 허용되지 않았습니다');
    await expect(panel(page)).toHaveAttribute('data-stage', 'idle');
    await expect(page.getByTestId('voice-text')).toBeEditable();

    await page.getByTestId('builder-dinner').selectOption('chicken');
    await expect(page.getByTestId('price-final')).toHaveText('28,000원');
    await fillDelivery(page);
    await fillCard(page, GOOD_CARD);
    await page.getByTestId('checkout-submit').click();
    await expectConfirmation(page);
  });
});
