// SPDX-License-Identifier: Apache-2.0
// Browser test of the station console in Debian's chromium, driven by
// playwright-core: a screener logs in, watches a bag arrive, changes modes
// and zoom by keyboard, decides, gets TIP feedback; a supervisor sees the
// statistics change and sets the TIP share; an auditor sees the events.
// Usage: node console.test.js URL   (accounts as made by station_browser.sh)
'use strict';
const { chromium } = require('playwright-core');
const assert = require('assert');

const url = process.argv[2];
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

// Polls a predicate in the page. (page.waitForFunction compiles its predicate
// with eval inside the page, which the console's CSP rightly forbids.)
async function until(page, fn, arg, timeout = 60000) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await page.evaluate(fn, arg)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${fn}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function login(browser, user, pw, errors) {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 850 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(`${user}: ${e.message}`));
  // Refusals the test provokes (401 before login, 403 for a supervisor
  // creating an admin) are logged by chromium as resource errors; anything
  // else (a script error, a CSP violation) fails the test.
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) errors.push(`${user}: ${m.text()}`); });
  await page.goto(url);
  await page.fill('#login-user', user);
  await page.fill('#login-pw', pw);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#who:has-text("' + user + '")');
  return page;
}

async function imageLoaded(page, bagId) {
  await until(page, (id) => {
    const img = document.querySelector('#view0 img');
    return document.body.dataset.shownBag === String(id) && img.complete && img.naturalWidth > 0;
  }, bagId);
}

(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
  const errors = [];
  try {
    // A wrong password is refused with a message, and no session.
    const ctx0 = await browser.newContext();
    const p0 = await ctx0.newPage();
    await p0.goto(url);
    await p0.fill('#login-user', 'sam'); await p0.fill('#login-pw', 'wrong-password');
    await p0.click('#login-form button[type=submit]');
    await p0.waitForSelector('#login-msg:has-text("Wrong")');
    const cookies = await ctx0.cookies();
    assert.strictEqual(cookies.filter((c) => c.name === 'lc_session').length, 0);
    await ctx0.close();

    const sup = await login(browser, 'sue', 'super-pass-1', errors);
    await sup.click('#tab-supervise'); // a supervisor may screen too; starts on the bag view
    await sup.waitForSelector('#supervise:not([hidden])');
    // The recognition's operating point, as the station was started (dense 0.45).
    await sup.waitForSelector('#atr-point:has-text("dense 0.45")');
    assert.match(await sup.textContent('#atr-point'), /explosive 0\.5, weapon 0\.5, dense 0\.45/);
    const scr = await login(browser, 'sam', 'screen-pass-1', errors);
    // The session cookie is HttpOnly and SameSite=Strict: invisible to scripts.
    const ck = (await scr.context().cookies()).find((c) => c.name === 'lc_session');
    assert.ok(ck && ck.httpOnly && ck.sameSite === 'Strict');
    assert.strictEqual(await scr.evaluate(() => document.cookie), '');

    // A bag arrives: both views load.
    await until(scr, () => window.lucent.bag !== null);
    const bag1 = await scr.evaluate(() => window.lucent.bag.id);
    await imageLoaded(scr, bag1);
    const t0 = await scr.evaluate(() => window.lucent.bag.acquired_us / 1000);
    const shown = await scr.evaluate(() => window.lucent.bag.shownAt);
    console.log(`bag ${bag1} shown ${shown - t0} ms after its last line`);
    // The second view's image is a separate request: wait for it too (the
    // first view being shown does not mean the second has arrived).
    await until(scr, () => {
      const img = document.querySelector('#view1 img');
      return img.complete && img.naturalWidth > 0;
    });

    // Modes by keyboard; zoom in and fit.
    await scr.keyboard.press('2');
    await until(scr, () => document.querySelector('#view0 img').src.includes('mode=grey'));
    assert.strictEqual(await scr.getAttribute('#mode-grey', 'aria-pressed'), 'true');
    await scr.keyboard.press('4');
    await until(scr, () => document.querySelector('#view1 img').src.includes('mode=organic'));
    const z0 = await scr.evaluate(() => window.lucent.zoom);
    await scr.keyboard.press('+');
    const z1 = await scr.evaluate(() => window.lucent.zoom);
    assert.ok(z1 > z0 * 1.2, `zoom ${z0} -> ${z1}`);
    await scr.keyboard.press('ArrowLeft');
    await scr.keyboard.press('0');
    assert.ok(Math.abs(await scr.evaluate(() => window.lucent.zoom) - z0) < 1e-9);
    await scr.keyboard.press('1');

    // TIP share is 1: search finds the projected threat; feedback, box, Enter.
    await scr.keyboard.press('s');
    await scr.waitForSelector('#feedback:not([hidden])');
    const msg = await scr.textContent('#feedback-msg');
    assert.match(msg, /TIP: well found/);
    await scr.waitForSelector('#view0 svg rect.tip', { state: 'attached' });
    await scr.keyboard.press('Enter');
    await scr.waitForSelector('#feedback', { state: 'hidden' });

    // Supervisor turns TIP off; the next decision (clear) is recorded.
    await sup.fill('#tip-share', '0');
    await sup.click('#tip-form button');
    await until(scr, (id) => window.lucent.bag && window.lucent.bag.id !== id, bag1);
    const bag2 = await scr.evaluate(() => window.lucent.bag.id);
    await imageLoaded(scr, bag2);
    await scr.click('#btn-clear');
    // A bag projected before TIP was switched off still gives feedback: a miss.
    if (await scr.isVisible('#feedback')) {
      assert.match(await scr.textContent('#feedback-msg'), /TIP: missed/);
      await scr.keyboard.press('Enter');
    }

    // Statistics show both decisions and the TIP hit.
    await sup.click('#tab-supervise');
    await sup.waitForSelector('#tbl-screeners tr[data-user="sam"]');
    const row = await sup.$$eval('#tbl-screeners tr[data-user="sam"] td', (tds) => tds.map((t) => t.textContent));
    assert.strictEqual(row[1], '2', `decisions: ${row}`);
    assert.ok(Number(row[2]) >= 1 && Number(row[3]) >= 1, `TIP columns: ${row}`);
    assert.notStrictEqual(row[4], '—');

    // Supervisor: creates a screener account, then disables it.
    await sup.fill('#nu-name', 'tom');
    await sup.selectOption('#nu-role', 'screener');
    await sup.fill('#nu-pw', 'tom-password-1');
    await sup.click('#user-form button');
    await sup.waitForSelector('#tbl-users tr[data-user="tom"]');
    assert.strictEqual(await sup.$$eval('#tbl-users select', (x) => x.length), 0); // roles: admins only
    await sup.click('#tbl-users tr[data-user="tom"] button:has-text("Disable")');
    await sup.waitForSelector('#tbl-users tr[data-user="tom"] button:has-text("Enable")');
    // A supervisor cannot create an admin: the station refuses, the console says so.
    await sup.fill('#nu-name', 'eve');
    await sup.selectOption('#nu-role', 'admin');
    await sup.fill('#nu-pw', 'eve-password-1');
    await sup.click('#user-form button');
    await sup.waitForSelector('#sup-msg:has-text("supervisor may only")');

    // Auditor: the history holds the decisions and the config change.
    const aud = await login(browser, 'aud', 'audit-pass-1', errors);
    await aud.waitForSelector('#tbl-events tbody tr');
    const kinds = await aud.$$eval('#tbl-events tbody tr td:nth-child(3)', (t) => t.map((x) => x.textContent));
    for (const k of ['decision', 'config.change', 'login.fail', 'user.add', 'user.change']) assert.ok(kinds.includes(k), `${k} in ${kinds.join(',')}`);
    assert.ok(await aud.isHidden('#tab-screen'));

    // Log out: the session is gone.
    await scr.click('#logout');
    await scr.waitForSelector('#login:not([hidden])');
    const me = await scr.evaluate(async () => (await fetch('/api/me')).status);
    assert.strictEqual(me, 401);
    assert.deepStrictEqual(errors, []);
    console.log('console.test.js: ok');
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e); process.exit(1); });
