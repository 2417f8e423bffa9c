import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, tempDir } from '../api/support.js';
import { launchChromium, type HeadlessChromium } from './browser.js';

/**
 * Issue 15's acceptance, in real headless Chromium (Debian's /usr/bin/chromium through playwright-core)
 * against `npm start` (`node bin/recsys.js start`) on ml-latest-small from ../shared, in temp folders, serving
 * ALS (RECSYS_MODEL=als; popularity is trained beside it so the page shows two models side by side).
 * Screenshots go to a temp folder, or to docs/ with WEB_SCREENSHOTS=docs (how docs/web.md's were taken).
 */

const ML_LATEST_SMALL = path.resolve(process.cwd(), '..', 'shared', 'movielens', 'ml-latest-small');
const SHOTS_TO_DOCS = process.env.WEB_SCREENSHOTS === 'docs';

function baseEnv(work: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env))
    if (/^(RECSYS_|DATABASE_URL$|MOVIELENS_DIR$|PORT$|HOST$|CI$)/.test(name)) delete env[name];
  return {
    ...env,
    MOVIELENS_DIR: ML_LATEST_SMALL,
    RECSYS_DATASET: 'ml-latest-small',
    RECSYS_MODEL: 'als',
    RECSYS_DATA_DIR: path.join(work, 'data'),
    RECSYS_ARTIFACTS: path.join(work, 'artifacts'),
    HOST: '127.0.0.1',
    PORT: '0',
  };
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/recsys.js', ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`recsys ${args.join(' ')}: exit ${code}\n${output}`)),
    );
  });
}

function start(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string; exit: Promise<unknown> }> {
  const child = spawn(process.execPath, ['bin/recsys.js', 'start'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exit = new Promise((resolve) => child.on('exit', resolve));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening url=(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve({ child, url: match[1] as string, exit });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exit.then((code) => reject(new Error(`recsys start exited with ${String(code)}:\n${output}`)));
  });
}

/** The movie ids of a list, in order. */
function idsOf(page: Page, selector: string): Promise<number[]> {
  return page.$$eval(`${selector} li.movie`, (rows) =>
    rows.map((row) => Number((row as HTMLElement).dataset.id)),
  );
}

/** The server's list and the page's own ALS list for the picks on the page now. */
async function bothLists(
  page: Page,
  picks: string,
  diversity = '0',
): Promise<{ server: number[]; browser: number[] }> {
  const done = `[data-picks="${picks}"][data-diversity="${diversity}"]`;
  await page.check('input[name="source"][value="server"]');
  await page.waitForSelector(`#rec-list${done} li.movie`);
  const server = await idsOf(page, '#rec-list');
  await page.check('input[name="source"][value="browser"]');
  const column = `#browser-models [data-kind="als"]${done}`;
  await page.waitForSelector(`${column} li.movie`, { timeout: 120_000 });
  const browser = await idsOf(page, column);
  await page.check('input[name="source"][value="server"]');
  return { server, browser };
}

async function rateFromSearch(page: Page, text: string, title: string, stars: number): Promise<void> {
  await page.fill('#search', text);
  const row = page.locator('#search-results li.movie', {
    has: page.getByRole('button', { name: title, exact: true }),
  });
  // A click on the star, as a person rates (the radio itself is visually hidden behind its label).
  await row.locator(`label[title="${stars} star${stars > 1 ? 's' : ''}"]`).click();
}

describe('the web page in headless Chromium against npm start (ml-latest-small, ALS)', () => {
  let url = '';
  let chrome: HeadlessChromium;
  let shots = '';
  let tokenFile = '';
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    const work = await tempDir('web-e2e');
    cleanups.push(work.remove);
    shots = SHOTS_TO_DOCS ? path.resolve('docs') : path.join(work.dir, 'shots');
    await mkdir(shots, { recursive: true });
    const env = baseEnv(work.dir);
    tokenFile = path.join(work.dir, 'data', 'api-token');
    const server = await start(env);
    cleanups.unshift(async () => {
      server.child.kill('SIGTERM');
      await server.exit;
    });
    url = server.url;
    for (let i = 0; i < 300 && (await call(`${url}/ready`).catch(() => undefined))?.status !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // A second model beside the served one: the page ranks with every current artifact it can load.
    await run(['train', '--model', 'popularity'], env);
    chrome = await launchChromium();
    cleanups.unshift(() => chrome.close());
  }, 600_000);

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('search "toy", rate Toy Story 5 stars: the list changes; a movie opens with its similar movies; in-browser ALS equals the cold-start route for several pick sets; no console error', async () => {
    const { page, errors } = await chrome.page({ width: 1280, height: 900 });
    await page.goto(url);
    await page.waitForSelector('#rec-list[data-picks=""][data-diversity="0"] li.movie');
    const before = await idsOf(page, '#rec-list');
    expect(before).toHaveLength(10);

    await rateFromSearch(page, 'toy', 'Toy Story (1995)', 5);
    await page.waitForSelector('#rec-list[data-picks="1"] li.movie');
    const after = await idsOf(page, '#rec-list');
    expect(after).toHaveLength(10);
    expect(after).not.toEqual(before);
    expect(after).not.toContain(1);
    expect(await page.locator('#picks li').allTextContents()).toEqual([
      expect.stringMatching(/^Toy Story \(1995\)/),
    ]);

    // Open the first recommendation: its similar movies.
    const first = page.locator('#rec-list li.movie .title').first();
    const title = await first.textContent();
    await first.click();
    await page.locator('#movie-dialog').waitFor({ state: 'visible' });
    expect(await page.textContent('#movie-title')).toBe(title);
    await page.waitForSelector('#similar-list li.movie');
    expect((await idsOf(page, '#similar-list')).length).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(shots, 'web-movie.png') });
    await page.keyboard.press('Escape');
    await page.locator('#movie-dialog').waitFor({ state: 'hidden' });

    // In-browser ranking equals the cold-start route's list, pick set by pick set.
    let lists = await bothLists(page, '1');
    expect(lists.browser).toEqual(lists.server);
    expect(lists.server).toEqual(after);
    await rateFromSearch(page, 'star wars', 'Star Wars: Episode IV - A New Hope (1977)', 5);
    lists = await bothLists(page, '1,260');
    expect(lists.browser).toEqual(lists.server);
    // A starter ("like" buttons, one group per genre) and a 4-star rating are picks too; 2 stars hides a movie.
    await page.getByRole('button', { name: 'Matrix, The (1999)', exact: true }).first().click();
    await rateFromSearch(page, 'shawshank', 'Shawshank Redemption, The (1994)', 4);
    await rateFromSearch(page, 'forrest', 'Forrest Gump (1994)', 2);
    lists = await bothLists(page, '1,260,2571,318');
    expect(lists.browser).toEqual(lists.server);
    expect(lists.server).not.toContain(356);
    // The diversity slider re-ranks both the same way.
    const atZero = lists.server;
    await page.locator('#diversity').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    lists = await bothLists(page, '1,260,2571,318', '0.5');
    expect(lists.browser).toEqual(lists.server);
    expect(lists.server).not.toEqual(atZero);
    await page.screenshot({ path: path.join(shots, 'web-desktop.png'), fullPage: true });

    await page.check('input[name="source"][value="browser"]');
    await page.waitForSelector('#browser-models [data-kind="popularity"][data-state="ranked"]', {
      timeout: 120_000,
    });
    const backend = await page.textContent('#backend');
    expect(['webgl', 'wasm', 'cpu']).toContain(backend);
    await page.screenshot({ path: path.join(shots, 'web-in-browser.png'), fullPage: true });
    console.log(`TF.js backend in headless Chromium: ${backend}`);
    expect(errors).toEqual([]);
  }, 600_000);

  it('works with the keyboard and on a 375 px screen', async () => {
    const { page, errors } = await chrome.page({ width: 375, height: 812 });
    await page.goto(url);
    await page.waitForSelector('#starters button.like');
    // Nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    // A starter by keyboard: Tab reaches the buttons, Enter likes one.
    const like = page.locator('#starters button.like:not([data-id="1"])').first();
    await like.focus();
    await page.keyboard.press('Enter');
    expect(await like.getAttribute('aria-pressed')).toBe('true');
    const picks = await like.getAttribute('data-id');
    await page.waitForSelector(`#rec-list[data-picks="${picks}"] li.movie`);
    // Stars by keyboard: focus the 4-star radio of a search result, arrow right gives 5 stars.
    await page.locator('#search').focus();
    await page.keyboard.type('toy story');
    const row = page.locator('#search-results li.movie', {
      has: page.getByRole('button', { name: 'Toy Story (1995)', exact: true }),
    });
    await row.getByRole('radio', { name: '4 stars', exact: true }).focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowRight');
    await row.locator('fieldset.stars[data-rating="5"]').waitFor();
    await page.waitForSelector(`#rec-list[data-picks="${picks},1"] li.movie`);
    // Focus is visible: the focused radio's star gets an outline.
    const outline = await row
      .locator('label')
      .nth(4)
      .evaluate((label) => getComputedStyle(label).outlineStyle);
    expect(outline).toBe('solid');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.screenshot({ path: path.join(shots, 'web-narrow.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 300_000);

  it('ranks on the WASM backend too (?backend=wasm: TF.js wasm files served by the API), the same list', async () => {
    const { page, errors } = await chrome.page({ width: 1280, height: 900 });
    await page.goto(`${url}/?backend=wasm`);
    await rateFromSearch(page, 'toy', 'Toy Story (1995)', 5);
    const lists = await bothLists(page, '1');
    expect(await page.textContent('#backend')).toBe('wasm');
    expect(lists.browser).toEqual(lists.server);
    expect(errors).toEqual([]);
  }, 300_000);

  it("with the API token and a new user (Settings), a star is stored through the API and the list is the user's", async () => {
    const { page, errors } = await chrome.page({ width: 1280, height: 900 });
    await page.goto(url);
    await page.locator('.settings summary').click();
    await page.fill('#token', (await readFile(tokenFile, 'utf8')).trim());
    await page.getByRole('button', { name: 'Create a new user' }).click();
    await page.waitForSelector('#account:has-text("stored for user")');
    const user = Number(await page.inputValue('#user'));
    expect(await page.textContent('#account')).toBe(`· ratings stored for user ${user}`);
    await rateFromSearch(page, 'toy', 'Toy Story (1995)', 5);
    await page.waitForSelector('#rec-list[data-picks="1"] li.movie');
    const ratings = await call(`${url}/users/${user}/ratings`);
    expect(ratings.body.ratings).toEqual([expect.objectContaining({ movieId: 1, rating: 5 })]);
    const theirs = await call(`${url}/users/${user}/recommendations?k=10`);
    expect(await idsOf(page, '#rec-list')).toEqual(theirs.body.movies.map((m: { id: number }) => m.id));
    // A stored rating cannot be removed in the page (the API has no delete): no remove button, so the page
    // and the user's list cannot disagree.
    await expect(page.locator('#picks li[data-id="1"] button.remove').count()).resolves.toBe(0);
    // A new visit with the same settings shows the stored ratings and the user's list.
    await page.reload();
    await page.waitForSelector('#picks li[data-id="1"]');
    await page.waitForSelector('#rec-list[data-picks="1"] li.movie');
    expect(await idsOf(page, '#rec-list')).toEqual(theirs.body.movies.map((m: { id: number }) => m.id));
    expect(errors).toEqual([]);
  }, 300_000);
});
