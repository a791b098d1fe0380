import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium';
import { GOOD_CARD, expect, expectConfirmation, fillCard, fillDelivery, test } from './fixtures';

// Shared by the voice suites (DESIGN.md §1, §7, §8), which run against the release server and
// the real ai-worker (whisper + Qwen on the CPU). Chromium's fake microphone plays the WAVs that
// scripts/make_voice_samples.sh makes (1 s of silence, the sentence, 2 s of silence), once per
// recording; the microphone is a launch option, so each suite file has its own (Playwright
// allows launch options only at a file's top level). scripts/test.sh starts the worker, writes
// its pid to target/e2e-worker.pid and sets the server's AI_TIMEOUT_SECS.

const ROOT = path.resolve(__dirname, '../..');
export const SAMPLES = process.env.VOICE_SAMPLES_DIR ?? path.join(ROOT, 'target/voice-samples');
export const WORKER_PID_FILE =
  process.env.E2E_WORKER_PID_FILE ?? path.join(ROOT, 'target/e2e-worker.pid');
// The server's AI timeout (scripts/test.sh sets it for the e2e server and passes it here).
export const AI_TIMEOUT_MS = Number(process.env.AI_TIMEOUT_SECS ?? 30) * 1000;
// One turn on this CPU: recording (≈ 5 s), recognition and understanding (seconds each), on a
// machine shared with the browser and the server.
export const TURN_MS = 90_000;

export const SPEECH_NOT_RECOGNIZED = '음성을 인식할 수 없습니다. 다시 시도해 주세요.';
export const NOT_UNDERSTOOD = '주문 내용을 이해할 수 없습니다. 다시 말씀해 주세요.';
export const AI_TIMEOUT =
  'AI 응답이 지연되고 있습니다. 잠시 후 다시 시도하시거나 화면에서 직접 주문해 주세요.';

/** Launch options and permissions for a browser whose microphone plays `file` once. */
export function microphone(file: string) {
  const wav = path.join(SAMPLES, file);
  return {
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: [
        ...CHROMIUM_ARGS,
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${wav}%noloop`,
      ],
    },
    permissions: ['microphone'],
  };
}

/**
 * The hooks every voice suite needs: its recording must exist, and each test starts signed
 * out in Korean with the HTTP errors it provokes on purpose allowed in the console.
 */
export function voiceSuite(sample?: string) {
  if (sample) {
    test.beforeAll(() => {
      const wav = path.join(SAMPLES, sample);
      if (!existsSync(wav)) throw new Error(`${wav} is missing: run scripts/make_voice_samples.sh`);
    });
  }
  test.beforeEach(async ({ context, consoleGuard }) => {
    await context.clearCookies();
    // Chromium logs the failed HTTP answers these tests provoke (4a/4b 422, 504, 409).
    consoleGuard.ignore(/Failed to load resource: the server responded with a status of (409|422|504)/);
  });
}

export function panel(page: Page) {
  return page.getByTestId('voice-panel');
}

/** Waits for the AI's proposal; the builder's live quote must equal the proposal's price. */
export async function expectPreview(page: Page): Promise<string> {
  await expect(panel(page)).toHaveAttribute('data-stage', 'done', { timeout: TURN_MS });
  await expect(page.getByTestId('voice-proposal')).toBeVisible();
  const quote = page.getByTestId('voice-quote');
  await expect(quote).toHaveText(/\d/);
  const price = ((await quote.textContent()) ?? '').trim();
  await expect(page.getByTestId('price-final')).toHaveText(price);
  return price;
}

/** Says `text` through the typed box (the same path as speech from the transcript on). */
export async function typeUtterance(page: Page, text: string) {
  await page.getByTestId('voice-text').fill(text);
  await page.getByTestId('voice-text-send').click();
  await expect(page.getByTestId('voice-transcript')).toHaveText(text);
}

/**
 * Confirms the previewed order (a pending voice order, stock reserved), then pays it on the
 * payment page: `created` is the language's "order created" banner, `price` the preview's.
 */
export async function confirmAndPay(page: Page, price: string, created: string) {
  await fillDelivery(page);
  await page.getByTestId('voice-confirm').click();
  await expect(page).toHaveURL(/\/orders\/\d+\/pay\?created=1$/);
  await expect(page.getByTestId('order-created')).toContainText(created);
  await expect(page.getByTestId('pay-total')).toHaveText(price);
  await fillCard(page, GOOD_CARD);
  await page.getByTestId('pay-submit').click();
  await expectConfirmation(page);
  await expect(page.getByTestId('order-total')).toHaveText(price);
  await expect(page.getByTestId('order-detail')).toHaveAttribute('data-source', 'voice');
}
