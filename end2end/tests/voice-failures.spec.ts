import { existsSync, readFileSync } from 'node:fs';
import {
  GOOD_CARD,
  expect,
  expectConfirmation,
  fillCard,
  fillDelivery,
  gotoHydrated,
  signUp,
  test,
} from './fixtures';
import {
  AI_TIMEOUT,
  AI_TIMEOUT_MS,
  NOT_UNDERSTOOD,
  SPEECH_NOT_RECOGNIZED,
  TURN_MS,
  WORKER_PID_FILE,
  microphone,
  panel,
  typeUtterance,
  voiceSuite,
} from './voice-helpers';

// Voice ordering's failures (DESIGN.md §8): no speech (4a), not understood (4b), cancel, and a
// stopped AI worker (504). The microphone hears only silence.
test.use(microphone('mic_silence.wav'));
voiceSuite('mic_silence.wav');

test.describe('a silent microphone and the failures', () => {

  test('no speech is 4a: the message, and recording again is offered', async ({ page }) => {
    test.setTimeout(2 * TURN_MS);
    await gotoHydrated(page, '/order');
    await page.getByTestId('voice-record').click();
    await expect(panel(page)).toHaveAttribute('data-stage', 'recording');
    await expect(page.getByTestId('voice-level')).toBeVisible();
    await expect(page.getByTestId('voice-timer')).toHaveText(/^0:0[2-9] \/ 0:15$/);
    // Silence never ends a recording by itself before 15 s: the customer presses again.
    await page.getByTestId('voice-record').click();

    const error = page.locator('[data-testid=error][data-code=speech_not_recognized]');
    await expect(error).toHaveText(SPEECH_NOT_RECOGNIZED, { timeout: TURN_MS });
    await expect(page.getByTestId('voice-record')).toContainText('다시 녹음하기');
    await expect(page.getByTestId('voice-proposal')).toHaveCount(0);
    // The GUI is untouched.
    await page.getByTestId('builder-dinner').selectOption('chicken');
    await expect(page.getByTestId('price-final')).toHaveText('28,000원');
  });

  test('an order the AI does not understand is 4b: its question, and one click to the GUI', async ({ page }) => {
    test.setTimeout(2 * TURN_MS);
    await gotoHydrated(page, '/order');
    await typeUtterance(page, '오늘 날씨가 참 좋네요');

    const error = page.locator('[data-testid=error][data-code=order_not_understood]');
    await expect(error).toHaveText(NOT_UNDERSTOOD, { timeout: TURN_MS });
    await expect(page.getByTestId('voice-question').first()).not.toBeEmpty();
    await page.getByTestId('voice-use-gui').click();
    await expect(page.getByTestId('builder-dinner')).toBeFocused();
    await expect(error).toHaveCount(0);
    await expect(panel(page)).toHaveAttribute('data-active', 'false');
    await expect(page.getByTestId('checkout-submit')).toBeVisible();
  });

  test('cancel while the AI works: the page stays as it was and the late answer is dropped', async ({ page }) => {
    test.setTimeout(2 * TURN_MS);
    await gotoHydrated(page, '/order');
    const dinner = await page.getByTestId('builder-dinner').inputValue();
    await typeUtterance(page, '치킨 디너 두 개 매운 맛으로 주세요');
    await expect(panel(page)).toHaveAttribute('data-stage', 'understanding');
    await page.getByTestId('voice-cancel').click();
    await expect(panel(page)).toHaveAttribute('data-stage', 'idle');
    // Longer than one analysis takes here: the answer arrives and must change nothing.
    await page.waitForTimeout(15_000);
    await expect(panel(page)).toHaveAttribute('data-stage', 'idle');
    await expect(page.getByTestId('voice-proposal')).toHaveCount(0);
    await expect(page.getByTestId('builder-dinner')).toHaveValue(dinner);
    await expect(page.getByTestId('checkout-submit')).toBeVisible();
  });

  // Last: it stops the worker.
  test('a stopped AI worker is a 504 within the timeout, and the GUI still orders', async ({ page }) => {
    test.skip(!existsSync(WORKER_PID_FILE), `${WORKER_PID_FILE} is missing (scripts/test.sh writes it)`);
    test.setTimeout(AI_TIMEOUT_MS + 2 * TURN_MS);
    const pid = Number(readFileSync(WORKER_PID_FILE, 'utf8').trim());
    await signUp(page);
    process.kill(pid, 'SIGSTOP');
    try {
      const asked = Date.now();
      await typeUtterance(page, '치킨 디너 하나 오리지널로 주세요');
      const error = page.locator('[data-testid=error][data-code=ai_timeout]');
      await expect(error).toHaveText(AI_TIMEOUT, { timeout: AI_TIMEOUT_MS + 15_000 });
      expect(Date.now() - asked).toBeLessThan(AI_TIMEOUT_MS + 15_000);
      await expect(page.getByTestId('voice-retry')).toBeVisible();

      // The GUI orders while the AI is down.
      await page.getByTestId('builder-dinner').selectOption('chicken');
      await expect(page.getByTestId('price-final')).toHaveText('28,000원');
      await fillDelivery(page);
      await fillCard(page, GOOD_CARD);
      await page.getByTestId('checkout-submit').click();
      await expectConfirmation(page);
      await expect(page.getByTestId('order-detail')).toHaveAttribute('data-source', 'gui');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });
});
