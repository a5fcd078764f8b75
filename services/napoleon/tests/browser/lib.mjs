// Helpers for real-browser walks of Napoléon's pages: headless Chromium (Debian's `chromium`)
// driven by npm `playwright-core`, axe-core on every page, screenshots, and keyboard-only
// form filling (no helper here ever clicks: a walk that uses them proves the page works
// without a mouse).
//
// Every page text the helpers look for is French, as the agents read it.

import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

/** The repository root (this file is services/napoleon/tests/browser/lib.mjs). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The WCAG levels every page must meet. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** How long one navigation, wait or keyboard action may take. */
const ACTION_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// Browser

/**
 * Starts headless Chromium (`CHROMIUM`, else Debian's /usr/bin/chromium).
 * Tests run as root on machines without a display or outside network: no sandbox (it refuses
 * root), no GPU, and none of the background traffic (component updates, sync, QUIC probes…)
 * whose refused connections otherwise stall Chromium.
 */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    timeout: 60_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A new page in its own context (its own cookies): French locale, desktop viewport, and
 * watchers that record JavaScript errors, console errors (CSP refusals among them) and
 * failed loads (4xx, 5xx, network errors); `check` fails on any of them.
 * The page's real Content-Security-Policy stays in force (no `bypassCSP`), so a walk also
 * proves the pages work under it.
 */
export async function openPage(browser) {
  const context = await browser.newContext({
    locale: 'fr-FR',
    timezoneId: 'Europe/Paris',
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push({ text: `erreur JavaScript : ${error.stack || error.message}` }));
  page.on('console', (message) => {
    // Failed loads are reported below, with their URL and status.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push({ text: `console : ${message.text()}` });
    }
  });
  page.on('response', (response) => {
    if (response.status() < 400) return;
    const request = response.request();
    problems.push({
      text: `${request.method()} ${response.url()} a répondu ${response.status()}`,
      // A page's answer: a navigation, or a form sent by script (upload.js) whose answer
      // replaces the page.
      document:
        (request.isNavigationRequest() && request.frame() === page.mainFrame()) ||
        (request.resourceType() === 'xhr' && request.method() === 'POST'),
      status: response.status(),
    });
  });
  page.on('requestfailed', (request) => {
    const reason = request.failure()?.errorText ?? '';
    // Leaving a page cancels what it was still loading: that is no fault of the page.
    if (reason === 'net::ERR_ABORTED') return;
    problems.push({ text: `${request.method()} ${request.url()} a échoué : ${reason}` });
  });
  problemsOf.set(page, problems);
  return page;
}

const problemsOf = new WeakMap();

/**
 * Takes (and clears) what the page's watchers recorded since the last call, but for a
 * document answered with `status` (a form sent back with its errors, for instance).
 */
function takeProblems(page, status) {
  const problems = problemsOf.get(page) ?? [];
  return problems
    .splice(0, problems.length)
    .filter((p) => !(p.document && p.status === status))
    .map((p) => p.text);
}

/**
 * Forgets what the watchers recorded on pages that are not Napoléon's (an identity provider's
 * own pages, with their own fonts and scripts): only our pages are checked.
 */
export function forgetOtherSitesProblems(page) {
  takeProblems(page);
}

/** Navigates to `url` and fails unless the document loads with `status` (default 200). */
export async function visit(page, url, { status = 200 } = {}) {
  const response = await page.goto(url, { waitUntil: 'load' });
  if (!response) throw new Error(`${url} : aucune réponse`);
  if (response.status() !== status) {
    throw new Error(`${url} a répondu ${response.status()} au lieu de ${status}`);
  }
  return response;
}

// ---------------------------------------------------------------------------------------------
// Steps

/**
 * Runs one named step of a walk and logs it; a failure names the step.
 * @param {string} name
 * @param {() => Promise<unknown>} fn
 */
export async function step(name, fn) {
  const started = Date.now();
  console.log(`→ ${name}`);
  try {
    const result = await fn();
    console.log(`✓ ${name} (${Date.now() - started} ms)`);
    return result;
  } catch (error) {
    console.log(`✗ ${name} (${Date.now() - started} ms)`);
    throw new Error(`étape « ${name} » en échec : ${error?.message ?? error}`, { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------
// Accessibility and screenshots

let axeSource;
let shotCounter = 0;

/** Where screenshots go (`NAPOLEON_SCREENSHOTS`, else target/napoleon-screenshots). */
export function screenshotDir() {
  return process.env.NAPOLEON_SCREENSHOTS || path.join(ROOT, 'target', 'napoleon-screenshots');
}

/** A file-name-safe form of a label. */
function slug(label) {
  return label
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'page';
}

/** Saves a full-page screenshot as `<NN>-<label>.png` and returns its path. */
export async function screenshot(page, label) {
  const dir = screenshotDir();
  await mkdir(dir, { recursive: true });
  shotCounter += 1;
  const file = path.join(dir, `${String(shotCounter).padStart(2, '0')}-${slug(label)}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Checks the current page: runs axe-core for WCAG 2.1 A and AA and throws with every
 * violation (rule, impact, elements, help), throws on any JavaScript error, console error
 * (a CSP refusal is one) or failed document load seen since the previous check, and keeps a
 * full-page screenshot `<NN>-<label>.png` (taken first, so a failing page is kept too).
 *
 * How axe gets into the page: the pages' CSP is `script-src 'self'`, so
 * `page.addScriptTag({content})` (an inline <script>) is refused, and a context with
 * `bypassCSP: true` would test the pages without the very policy they are served with. The
 * library is instead evaluated with `page.evaluate(source)`: Playwright runs it through the
 * DevTools protocol, which the page's CSP does not govern, in the page's main world, so
 * `window.axe` is there for the following `axe.run` and the page keeps its real CSP.
 *
 * `status`: the HTTP status the current document was served with when it is not 200 (e.g.
 * 400 for a form sent back with its errors); any other failed load is a problem.
 *
 * @returns {Promise<{screenshot: string, passes: number}>}
 */
export async function check(page, label, { status } = {}) {
  await page.waitForLoadState('load');
  const shot = await screenshot(page, label);
  axeSource ??= await readFile(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  const present = await page.evaluate(() => typeof window.axe === 'object');
  if (!present) {
    await page.evaluate(`${axeSource}\n;undefined`);
  }
  const result = await page.evaluate(async (tags) => {
    const report = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return {
      passes: report.passes.length,
      violations: report.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
      })),
    };
  }, AXE_TAGS);
  const problems = takeProblems(page, status);
  const lines = [];
  for (const v of result.violations) {
    lines.push(`- ${v.id} (${v.impact}) : ${v.help} — ${v.helpUrl}`);
    for (const n of v.nodes) {
      lines.push(`    ${n.target}`);
      if (n.summary) lines.push(`      ${n.summary.replace(/\n/g, '\n      ')}`);
    }
  }
  for (const p of problems) lines.push(`- ${p}`);
  if (lines.length > 0) {
    throw new Error(
      `page « ${label} » (${page.url()}) : ${result.violations.length} violation(s) axe ` +
        `[${AXE_TAGS.join(', ')}], ${problems.length} autre(s) problème(s) ; capture ${shot}\n${lines.join('\n')}`,
    );
  }
  console.log(`  axe : 0 violation sur « ${label} » (${result.passes} règles respectées) ; capture ${shot}`);
  return { screenshot: shot, passes: result.passes };
}

// ---------------------------------------------------------------------------------------------
// Keyboard

/**
 * What has focus, described as a keyboard user meets it. Runs in the page.
 * `label`: the text of the control's <label> without its hint (`.fr-hint-text`);
 * `name`: its accessible name (aria-labelledby, aria-label, full label, text, value, title);
 * `group`: the legend of its <fieldset> (radio and checkbox groups), without hint.
 */
function describeFocusInPage() {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const withoutHints = (node) => {
    const copy = node.cloneNode(true);
    copy.querySelectorAll('.fr-hint-text, .fr-message, .fr-messages-group').forEach((h) => h.remove());
    return norm(copy.textContent);
  };
  const labelled = (el.getAttribute('aria-labelledby') || '')
    .split(/\s+/)
    .filter(Boolean)
    .map((id) => document.getElementById(id))
    .filter(Boolean)
    .map((n) => norm(n.textContent))
    .join(' ');
  const labelEl = el.labels && el.labels.length > 0 ? el.labels[0] : null;
  const label = labelEl ? withoutHints(labelEl) : '';
  const tag = el.tagName.toLowerCase();
  const type = (el.getAttribute('type') || '').toLowerCase();
  const text = ['a', 'button', 'summary'].includes(tag) ? norm(el.textContent) : '';
  const value = tag === 'input' && ['submit', 'button', 'reset'].includes(type) ? el.value : '';
  const name =
    norm(labelled) ||
    norm(el.getAttribute('aria-label')) ||
    (labelEl ? norm(labelEl.textContent) : '') ||
    text ||
    norm(value) ||
    norm(el.getAttribute('title')) ||
    norm(el.getAttribute('placeholder'));
  const fieldset = el.closest('fieldset');
  const legend = fieldset ? fieldset.querySelector('legend') : null;
  return {
    tag,
    type,
    id: el.id || '',
    label,
    name,
    group: legend ? withoutHints(legend) : '',
    checked: 'checked' in el ? Boolean(el.checked) : null,
    visible: el.checkVisibility ? el.checkVisibility({ visibilityProperty: true }) : true,
    value: 'value' in el ? String(el.value) : null,
    editable: (tag === 'input' && !['button', 'submit', 'reset', 'checkbox', 'radio', 'file', 'image', 'range', 'color', 'hidden'].includes(type)) || tag === 'textarea' || el.isContentEditable,
  };
}

/** What has focus (see describeFocusInPage), or null. */
export async function focused(page) {
  return page.evaluate(describeFocusInPage);
}

const collapse = (s) => (s || '').replace(/\s+/g, ' ').trim();

/** Does a focus description match `target` (text: label or name equal; RegExp; predicate)? */
function matches(info, target) {
  if (!info) return false;
  if (typeof target === 'function') return Boolean(target(info));
  if (target instanceof RegExp) return target.test(info.label) || target.test(info.name);
  const wanted = collapse(target);
  return info.label === wanted || info.name === wanted;
}

/** How a target reads in an error message. */
function describeTarget(target, what) {
  const text =
    typeof target === 'function' ? target.description || 'élément attendu' : target instanceof RegExp ? String(target) : `« ${target} »`;
  return what ? `${what} ${text}` : text;
}

/**
 * Presses Tab until the focused element matches `target` (and `filter`, if given): a label
 * or accessible name (exact text after collapsing spaces), a RegExp, or a predicate on the
 * focus description. Starts by looking at the current focus. Throws, naming the target and
 * the elements focus went through, after `max` presses.
 * @returns {Promise<object>} the focus description
 */
export async function tabTo(page, target, { max = 200, filter = () => true, what = '' } = {}) {
  const seen = [];
  for (let presses = 0; presses <= max; presses += 1) {
    if (presses > 0) await page.keyboard.press('Tab');
    const info = await focused(page);
    if (info && filter(info) && matches(info, target)) return info;
    if (info) {
      const shown = `${info.tag}${info.type ? `[${info.type}]` : ''} « ${info.label || info.name} »`;
      if (seen[seen.length - 1] !== shown) seen.push(shown);
    }
  }
  const distinct = [...new Set(seen)];
  throw new Error(
    `${describeTarget(target, what)} n'a pas été atteint avec ${max} appuis sur Tab sur ${page.url()} ; ` +
      `la sélection est passée par : ${distinct.slice(0, 40).join(', ') || '(rien)'}`,
  );
}

/**
 * Fills the text field labelled `label` from the keyboard: Tab to it, select all, type.
 * A date field (`input[type=date]`) takes `YYYY-MM-DD` (see typeDate). Checks the field holds
 * `value` afterwards.
 */
export async function typeField(page, label, value) {
  const info = await tabTo(page, label, { filter: (i) => i.editable, what: 'le champ' });
  const text = String(value);
  if (info.type === 'date') {
    await typeDate(page, label, text);
  } else {
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
    if (text !== '') await page.keyboard.type(text);
  }
  const after = await focused(page);
  if (!after || after.value !== text) {
    throw new Error(`le champ « ${label} » contient « ${after?.value} » au lieu de « ${text} »`);
  }
  return after;
}

/**
 * Types `iso` (YYYY-MM-DD) into the focused date field. Chromium orders the field's day,
 * month and year in its interface language, which is the machine's (en-US where Debian's
 * chromium-l10n is not installed), not the page's: the order is learned by typing a probe
 * date, then the date is typed again in that order. Each segment takes its digits and moves
 * on by itself; the left arrow goes back to the first segment.
 */
async function typeDate(page, label, iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new Error(`le champ date « ${label} » attend AAAA-MM-JJ, pas « ${iso} »`);
  const [, year, month, day] = m;
  const toFirstSegment = async () => {
    for (let i = 0; i < 2; i += 1) await page.keyboard.press('ArrowLeft');
  };
  await toFirstSegment();
  await page.keyboard.type('01022003');
  const probe = await page.evaluate(() => document.activeElement.value);
  const orders = { '2003-02-01': `${day}${month}${year}`, '2003-01-02': `${month}${day}${year}` };
  if (!(probe in orders)) {
    throw new Error(`ordre jour, mois, année du champ date « ${label} » non reconnu (essai : « ${probe} »)`);
  }
  await toFirstSegment();
  await page.keyboard.type(orders[probe]);
}

/**
 * Chooses `option` in the <select> labelled `label` from the keyboard (arrow keys on the
 * closed list, which change its value without opening it). `option` is the option's text
 * or its value. Checks the choice afterwards.
 */
export async function selectOption(page, label, option) {
  await tabTo(page, label, { filter: (i) => i.tag === 'select', what: 'la liste' });
  // `option`: the option's text or value, or a RegExp on its text.
  const wanted = option instanceof RegExp
    ? { re: option.source, flags: option.flags }
    : { text: String(option) };
  const plan = await page.evaluate((w) => {
    const el = document.activeElement;
    const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
    const options = [...el.options];
    const matches = (o) => (w.re
      ? new RegExp(w.re, w.flags).test(norm(o.text))
      : norm(o.text) === norm(w.text) || o.value === w.text);
    const index = options.findIndex(matches);
    return { index, current: el.selectedIndex, choices: options.map((o) => norm(o.text)) };
  }, wanted);
  if (plan.index < 0) {
    throw new Error(`la liste « ${label} » n'a pas d'option « ${option} » ; options : ${plan.choices.join(' | ')}`);
  }
  const key = plan.index > plan.current ? 'ArrowDown' : 'ArrowUp';
  for (let i = 0; i < Math.abs(plan.index - plan.current); i += 1) await page.keyboard.press(key);
  const selected = await page.evaluate(() => document.activeElement.selectedIndex);
  if (selected !== plan.index) {
    throw new Error(
      `la liste « ${label} » montre « ${plan.choices[selected]} » au lieu de « ${plan.choices[plan.index]} »`,
    );
  }
}

/**
 * Checks the radio button `option` of the group whose <legend> is `group`, from the
 * keyboard: Tab into the group, then arrow keys (which move and check) or Space.
 */
export async function chooseRadio(page, group, option) {
  const inGroup = (i) => i.tag === 'input' && i.type === 'radio' && matches({ label: i.group, name: i.group }, group);
  await tabTo(page, inGroup, { what: `le groupe de boutons radio ${describeTarget(group)}` });
  const size = await page.evaluate(() => {
    const el = document.activeElement;
    return el.form
      ? [...el.form.elements].filter((e) => e.type === 'radio' && e.name === el.name).length
      : document.querySelectorAll(`input[type=radio][name="${CSS.escape(el.name)}"]`).length;
  });
  const names = [];
  for (let i = 0; i <= size; i += 1) {
    const info = await focused(page);
    if (info && matches(info, option)) {
      if (!info.checked) await page.keyboard.press('Space');
      const after = await focused(page);
      if (!after.checked) throw new Error(`le bouton radio « ${option} » n'a pas pu être coché`);
      return after;
    }
    names.push(info?.label || info?.name);
    await page.keyboard.press('ArrowDown');
  }
  throw new Error(`le groupe ${describeTarget(group)} n'a pas d'option « ${option} » ; options : ${[...new Set(names)].join(' | ')}`);
}

/** Sets the checkbox labelled `label` to `checked` with the Space key. */
export async function setCheckbox(page, label, checked = true) {
  const info = await tabTo(page, label, { filter: (i) => i.type === 'checkbox', what: 'la case' });
  if (info.checked !== checked) await page.keyboard.press('Space');
  const after = await focused(page);
  if (after.checked !== checked) throw new Error(`la case « ${label} » n'a pas pu être ${checked ? 'cochée' : 'décochée'}`);
  return after;
}

/**
 * Tabs to the button or link named `name` and presses Enter. Unless `navigates` is false,
 * waits for the next document to load (the end of a redirect chain included).
 */
export async function pressButton(page, name, { navigates = true, max = 200 } = {}) {
  const activatable = (i) =>
    i.tag === 'button' || i.tag === 'a' || (i.tag === 'input' && ['submit', 'button'].includes(i.type));
  await tabTo(page, name, { filter: activatable, max, what: 'le bouton ou lien' });
  if (!navigates) {
    await page.keyboard.press('Enter');
    return;
  }
  const loaded = page.waitForEvent('load');
  await page.keyboard.press('Enter');
  await loaded;
}

/**
 * Chooses `files` (`{ name, mimeType, buffer }`) in the file input labelled `label`: Tab to
 * it, then what the system's file dialog does once the agent picked them (a headless browser
 * has no dialog to drive).
 */
export async function chooseFiles(page, label, files) {
  await tabTo(page, (i) => i.tag === 'input' && i.type === 'file' && matches(i, label), {
    what: `le champ de fichier ${label}`,
  });
  await page.locator(':focus').setInputFiles(files);
}

/**
 * Reloads the page until its text (as written, before CSS upper-cases a badge) contains
 * `text` `times` times (a background job's result), within `seconds`.
 */
export async function waitForText(page, text, { seconds = 60, times = 1 } = {}) {
  for (let i = 0; i < seconds * 2; i += 1) {
    if ((await page.locator('body').textContent()).split(text).length - 1 >= times) return;
    await page.waitForTimeout(500);
    await page.reload();
  }
  throw new Error(`« ${text} » n'est pas apparu sur ${page.url()} en ${seconds} s`);
}

// ---------------------------------------------------------------------------------------------
// Login and logout

/**
 * Logs in as the demo agent `email` through the login page and the development identity
 * provider (shared/devidp), by keyboard, and returns once back on the platform at `base`.
 * `onPage(label)`, if given, is awaited on the login page and on the provider's page
 * (e.g. to run `check`).
 */
export async function login(page, base, email, { provider = /^Se connecter avec /, onPage } = {}) {
  const origin = new URL(base).origin;
  await visit(page, `${origin}/connexion`);
  if (onPage) await onPage('connexion');
  await pressButton(page, provider);
  const row = page.locator('tr', { hasText: email });
  if ((await row.count()) !== 1) {
    throw new Error(`le fournisseur d'identité ne propose pas l'agent ${email} (${page.url()})`);
  }
  const button = collapse(await row.locator('button').first().textContent());
  if (onPage) await onPage('fournisseur-identite');
  await pressButton(page, button);
  if (new URL(page.url()).origin !== origin) {
    throw new Error(`après la connexion de ${email}, la page est ${page.url()} et non ${origin}`);
  }
}

/** Logs out with the header's « Se déconnecter » button; returns on the logged-out page. */
export async function logout(page) {
  await pressButton(page, 'Se déconnecter');
  if (!new URL(page.url()).pathname.startsWith('/deconnexion')) {
    throw new Error(`après « Se déconnecter », la page est ${page.url()}`);
  }
}
