// Accessibility check of every page in pages.json, in every display mode.
//
//   BASE_URL=http://127.0.0.1:8080 node a11y.mjs
//
// Per page x mode: axe-core (WCAG 2.0/2.1/2.2 A+AA tags, zh_CN messages);
// serious/critical violations fail, moderate/minor are warnings; a full-page
// screenshot goes to shots/<name>-<mode>.png.
// Per page (normal mode): <html lang="zh*">, <title>, one <h1>, one <main>,
// skip link as first Tab stop, Tab walk (no trap, visible and unobscured
// focus), reflow at 320 px, 24x24 px targets. On every load: no request to an
// origin other than BASE_URL's.
// Writes report.json; exits 1 if anything failed, 2 on a setup error.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  E2E_DIR, SHOTS_DIR, AXE_TAGS, baseUrl, loadPages, launchBrowser, newContext, versions, urlFor,
  guardOrigins, openPage, installPageHelpers, checkSkipLink, tabWalk, login, ensureShotsDir,
  formatViolation, color, slug,
} from './lib.mjs';

const require = createRequire(import.meta.url);
const AXE_SRC = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_ZH = JSON.parse(fs.readFileSync(require.resolve('axe-core/locales/zh_CN.json'), 'utf8'));
const MAX_TAB_STOPS = 60;
const MIN_TARGET = 24;
const REFLOW_WIDTH = 320;

const base = baseUrl();
const pages = loadPages();

ensureShotsDir();
for (const f of fs.readdirSync(SHOTS_DIR)) if (f.endsWith('.png')) fs.rmSync(path.join(SHOTS_DIR, f));

let browser;
try {
  browser = await launchBrowser();
} catch (e) {
  console.error(`error: could not launch Chromium: ${e.message}`);
  process.exit(2);
}
const ver = versions(browser);
console.log(`a11y: ${base} | chromium ${ver.chromium}, playwright-core ${ver['playwright-core']}, axe-core ${ver['axe-core']}, node ${ver.node}`);

const report = { base_url: base, started_at: new Date().toISOString(), versions: ver, axe_tags: AXE_TAGS, pages: [] };

for (const pg of pages) {
  const res = { name: pg.name, path: pg.path, modes: [], checks: [], failures: [], warnings: [], foreign_requests: [] };
  report.pages.push(res);
  console.log(`\n${pg.name} (${pg.path})`);
  const fail = (check, message, mode = null) => res.failures.push({ check, mode, message });
  const warn = (check, message, mode = null) => {
    if (!res.warnings.some((w) => w.check === check && w.message === message)) res.warnings.push({ check, mode, message });
  };

  // A context per load: guarded against third-party origins, page errors logged.
  const withPage = async (mode, viewport, fn) => {
    const ctx = await newContext(browser, viewport ? { viewport } : {});
    try {
      const foreign = await guardOrigins(ctx, base);
      const lg = await login(ctx, base, pg.login);
      if (!lg.ok) warn('login', lg.note, mode);
      const page = await ctx.newPage();
      const consoleErrors = [];
      page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
      page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`console error: ${m.text()}`); });
      const url = urlFor(base, pg.path, mode);
      const status = await openPage(page, url);
      try {
        if (status >= 400 || status === 0) {
          fail('http', `GET ${url} returned HTTP ${status}`, mode);
        } else {
          await fn(page, url);
        }
      } finally {
        for (const c of [...new Set(consoleErrors)].slice(0, 5)) warn('console', c, mode);
        for (const u of foreign) if (!res.foreign_requests.includes(u)) res.foreign_requests.push(u);
      }
    } finally {
      await ctx.close();
    }
  };

  // ---- axe + screenshot, per mode
  for (const mode of pg.modes) {
    const m = { mode, url: urlFor(base, pg.path, mode), screenshot: null, violations: [], incomplete: 0 };
    res.modes.push(m);
    try {
      await withPage(mode, null, async (page) => {
        await page.evaluate(AXE_SRC);
        const r = await page.evaluate(async ({ zh, tags }) => {
          window.axe.configure({ locale: zh });
          return window.axe.run(document, {
            runOnly: { type: 'tag', values: tags },
            resultTypes: ['violations', 'incomplete'],
          });
        }, { zh: AXE_ZH, tags: AXE_TAGS });
        m.violations = r.violations.map((v) => ({
          id: v.id, impact: v.impact, help: v.help, description: v.description, helpUrl: v.helpUrl, tags: v.tags,
          nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })),
        }));
        m.incomplete = r.incomplete.length;
        m.screenshot = path.relative(E2E_DIR, path.join(SHOTS_DIR, `${slug(pg.name)}-${slug(mode)}.png`));
        await page.screenshot({ path: path.join(E2E_DIR, m.screenshot), fullPage: true });
      });
    } catch (e) {
      fail('error', `${mode}: ${e.message.split('\n')[0]}`, mode);
    }
    const bad = m.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    const minor = m.violations.filter((v) => !bad.includes(v));
    for (const v of bad) fail('axe', `${v.id} (${v.impact}): ${v.help}`, mode);
    for (const v of minor) warn('axe', `${v.id} (${v.impact}): ${v.help}`, mode);
    const head = `  ${mode.padEnd(9)} axe: ${bad.length} serious/critical, ${minor.length} moderate/minor, ${m.incomplete} to review by hand`;
    console.log(bad.length ? color.red(head) : head);
    for (const v of bad) console.log(color.red(formatViolation(v)));
    for (const v of minor) console.log(color.yellow(formatViolation(v)));
  }

  // ---- scripted checks (normal mode)
  const check = (id, ok, detail, { warning = false } = {}) => {
    res.checks.push({ id, ok, detail });
    if (!ok && warning) warn(id, detail, 'normal');
    else if (!ok) fail(id, detail, 'normal');
    const tag = ok ? color.green('ok  ') : warning ? color.yellow('warn') : color.red('FAIL');
    console.log(`    ${tag} ${id}: ${detail}`);
  };
  console.log('  checks (normal mode):');
  try {
    await withPage('normal', null, async (page) => {
      const doc = await page.evaluate(() => ({
        lang: document.documentElement.getAttribute('lang') || '',
        title: document.title.trim(),
        h1: document.querySelectorAll('h1').length,
        main: [...document.querySelectorAll('main, [role=main]')].filter((e) => e.checkVisibility()).length,
        header: !!document.querySelector('header, [role=banner]'),
        footer: !!document.querySelector('footer, [role=contentinfo]'),
      }));
      check('lang', /^zh\b/i.test(doc.lang), doc.lang ? `<html lang="${doc.lang}">` : '<html> has no lang');
      check('title', doc.title.length > 0, doc.title ? `"${doc.title}"` : 'empty or missing <title>');
      check('h1', doc.h1 === 1, `${doc.h1} <h1> element(s), need exactly 1`);
      check('main', doc.main === 1, `${doc.main} visible <main> landmark(s), need exactly 1`);
      check('header-footer', doc.header && doc.footer,
        `header: ${doc.header ? 'yes' : 'missing'}, footer: ${doc.footer ? 'yes' : 'missing'}`, { warning: true });

      // Form labels: axe accepts a placeholder or title as a control's name;
      // we require a <label> or aria-labelledby (aria-label alone: warning).
      const lb = await page.evaluate(labelScan);
      check('form-labels', lb.unlabelled.length === 0, lb.unlabelled.length
        ? `${lb.unlabelled.length} control(s) without a <label> or aria-labelledby:\n${lb.unlabelled.map((s) => `           - ${s}`).join('\n')}`
        : `${lb.checked} form control(s) have a programmatic label`);
      if (lb.ariaOnly.length) {
        check('form-labels-visible', false, `${lb.ariaOnly.length} control(s) named by aria-label only (no visible label):\n${lb.ariaOnly.map((s) => `           - ${s}`).join('\n')}`, { warning: true });
      }

      // Keyboard: skip link, then the Tab walk.
      await installPageHelpers(page);
      const skip = await checkSkipLink(page);
      check('skip-link', skip.ok, skip.why);
      const walk = await tabWalk(page, { max: MAX_TAB_STOPS, first: skip.stop && !skip.stop.body ? skip.stop : null });
      check('focus-trap', !walk.trap, walk.trap
        ?? `${walk.stops.length} Tab stop(s), ${walk.wrapped ? 'focus wrapped back to the start' : `stopped after ${MAX_TAB_STOPS} (not all stops visited)`}`);
      const noIndicator = walk.stops.filter((s) => s.indicator && s.indicator.verdict === 'none');
      const weakIndicator = walk.stops.filter((s) => s.indicator && ['weak', 'thin', 'unknown'].includes(s.indicator.verdict));
      const hidden = walk.stops.filter((s) => s.obscured && s.obscured.verdict !== 'ok');
      check('focus-visible', noIndicator.length === 0, noIndicator.length
        ? `${noIndicator.length} stop(s) with no focus indicator:\n${noIndicator.map((s) => `           - ${s.desc}: ${s.indicator.why}`).join('\n')}`
        : weakIndicator.length ? `all ${walk.stops.length} stop(s) change style on focus (see focus-visible-strength)`
          : `all ${walk.stops.length} stop(s) show an outline or box-shadow on focus`);
      if (weakIndicator.length) {
        check('focus-visible-strength', false,
          `${weakIndicator.length} stop(s) to check by hand (>=2 px, >=3:1):\n${weakIndicator.map((s) => `           - ${s.desc}: ${s.indicator.verdict === 'thin' ? 'outline thinner than 2 px: ' : ''}${s.indicator.why}`).join('\n')}`,
          { warning: true });
      }
      check('focus-not-obscured', hidden.length === 0, hidden.length
        ? `${hidden.length} focused element(s) not visible:\n${hidden.map((s) => `           - ${s.desc}: ${s.obscured.why}`).join('\n')}`
        : `every focused element is on screen and on top at its centre`);

      // Target size (on a fresh, unfocused state: scroll back to the top first).
      await page.evaluate(() => { document.activeElement?.blur?.(); window.scrollTo(0, 0); });
      const ts = await page.evaluate(targetSizeScan, MIN_TARGET);
      check('target-size', ts.small.length === 0, ts.small.length
        ? `${ts.small.length} target(s) smaller than ${MIN_TARGET}x${MIN_TARGET} CSS px:\n${ts.small.map((s) => `           - ${s.desc}: ${s.w}x${s.h}`).join('\n')}`
        : `${ts.checked} target(s) >= ${MIN_TARGET}x${MIN_TARGET} CSS px (${ts.inline} inline in text, exempt)`);
    });

    await withPage('normal', { width: REFLOW_WIDTH, height: 720 }, async (page) => {
      const rf = await page.evaluate(reflowScan);
      check(`reflow-${REFLOW_WIDTH}`, rf.scrollWidth <= rf.innerWidth + 1, rf.scrollWidth <= rf.innerWidth + 1
        ? `scrollWidth ${rf.scrollWidth} <= innerWidth ${rf.innerWidth} + 1`
        : `horizontal scrolling: scrollWidth ${rf.scrollWidth} > innerWidth ${rf.innerWidth} + 1; widest offenders:\n${rf.offenders.map((o) => `           - ${o.desc}: right edge at ${o.right}px`).join('\n')}`);
    });
  } catch (e) {
    fail('error', `scripted checks: ${e.message.split('\n')[0]}`, 'normal');
    console.log(color.red(`    FAIL error: ${e.message.split('\n')[0]}`));
  }
  check('origins', res.foreign_requests.length === 0, res.foreign_requests.length
    ? `request(s) to other origins (blocked):\n${res.foreign_requests.map((u) => `           - ${u}`).join('\n')}`
    : `no request left ${new URL(base).origin} (all modes)`);
  for (const w of res.warnings.filter((w) => w.check === 'console' || w.check === 'login')) {
    console.log(color.yellow(`    warn ${w.check} [${w.mode}]: ${w.message}`));
  }
}

await browser.close();

// ---- report + summary
report.finished_at = new Date().toISOString();
fs.writeFileSync(path.join(E2E_DIR, 'report.json'), JSON.stringify(report, null, 2) + '\n');

console.log('\nsummary:');
let passed = 0;
for (const r of report.pages) {
  const axeBad = r.failures.filter((f) => f.check === 'axe');
  const byMode = {};
  for (const f of axeBad) byMode[f.mode] = (byMode[f.mode] || 0) + 1;
  const checksFailed = [...new Set(r.failures.filter((f) => f.check !== 'axe').map((f) => f.check))];
  const line = `${r.name} (${r.path}): ${r.modes.length} mode(s), axe ${axeBad.length} serious/critical`
    + (axeBad.length ? ` [${Object.entries(byMode).map(([m, n]) => `${m}:${n}`).join(' ')}]` : '')
    + `, ${r.warnings.length} warning(s), checks ${checksFailed.length ? `failed: ${checksFailed.join(', ')}` : 'all ok'}`;
  if (r.failures.length === 0) { passed++; console.log(color.green(`PASS ${line}`)); } else console.log(color.red(`FAIL ${line}`));
}
console.log(`report: ${path.relative(process.cwd(), path.join(E2E_DIR, 'report.json')) || 'report.json'}, screenshots: ${path.relative(process.cwd(), SHOTS_DIR) || 'shots'}/`);
console.log(`a11y: ${passed} passed, ${report.pages.length - passed} failed`);
process.exit(passed === report.pages.length ? 0 : 1);

// ------------------------------------------------------ in-page scanners ---
// (serialised by page.evaluate: they must not use anything from this module)

function targetSizeScan(min) {
  const SEL = 'a[href], button, input, select, textarea, [role=button]';
  const isInlineBox = (e) => ['inline', 'contents'].includes(getComputedStyle(e).display);
  const blockOf = (n) => { let c = n.parentElement; while (c && c !== document.body && isInlineBox(c)) c = c.parentElement; return c || document.body; };
  // "Inline in text": an inline element sharing its block (paragraph, cell,
  // list item...) with other, non-blank text.
  const inlineInText = (el) => {
    if (getComputedStyle(el).display !== 'inline') return false;
    const block = blockOf(el);
    const w = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let n = w.nextNode(); n; n = w.nextNode()) {
      if (el.contains(n) || !n.data.trim()) continue;
      if (blockOf(n) === block && n.parentElement.checkVisibility()) return true;
    }
    return false;
  };
  const small = [];
  let checked = 0, inline = 0;
  for (const el of document.querySelectorAll(SEL)) {
    if (el.matches(':disabled, [type=hidden]') || el.closest('[inert]')) continue;
    if (!el.checkVisibility({ visibilityProperty: true })) continue;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue; // visually hidden (e.g. an unfocused skip link)
    if (r.right + scrollX <= 0 || r.bottom + scrollY <= 0) continue; // parked off-screen
    if (inlineInText(el)) { inline++; continue; }
    checked++;
    if (r.width + 0.01 < min || r.height + 0.01 < min) {
      small.push({ desc: window.__e2e ? window.__e2e.describe(el) : el.outerHTML.slice(0, 80), w: Math.round(r.width * 10) / 10, h: Math.round(r.height * 10) / 10 });
    }
  }
  return { checked, inline, small };
}

function labelScan() {
  const SEL = 'input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]):not([type=image]), select, textarea';
  const describe = (el) => `<${el.localName}${el.type ? ` type=${el.type}` : ''}${el.id ? ` id=${el.id}` : ''}${el.name ? ` name=${el.name}` : ''}>`
    + (el.placeholder ? ` (placeholder "${el.placeholder}" is not a label)` : el.title ? ` (title "${el.title}" is not a label)` : '');
  const unlabelled = [], ariaOnly = [];
  let checked = 0;
  for (const el of document.querySelectorAll(SEL)) {
    if (!el.checkVisibility() && !(el.type === 'checkbox' || el.type === 'radio' || el.type === 'file')) continue;
    checked++;
    const labelled = [...(el.labels || [])].some((l) => l.innerText.trim())
      || (el.getAttribute('aria-labelledby') || '').split(/\s+/).some((id) => id && document.getElementById(id)?.textContent.trim());
    if (labelled) continue;
    if ((el.getAttribute('aria-label') || '').trim()) ariaOnly.push(describe(el));
    else unlabelled.push(describe(el));
  }
  return { checked, unlabelled, ariaOnly };
}

function reflowScan() {
  const scrollWidth = document.documentElement.scrollWidth;
  const limit = window.innerWidth + 1;
  const offenders = [];
  const clipped = (e) => { for (let c = e.parentElement; c; c = c.parentElement) { if (getComputedStyle(c).overflowX !== 'visible') return c !== document.body && c !== document.documentElement; } return false; };
  for (const el of [document.body, ...document.body.querySelectorAll('*')]) {
    const r = el.getBoundingClientRect();
    const pr = el.parentElement.getBoundingClientRect();
    if (r.right + scrollX > limit && pr.right + scrollX <= limit && !clipped(el)) {
      const id = el.id ? `#${el.id}` : '';
      const cls = el.classList.length ? '.' + [...el.classList].slice(0, 2).join('.') : '';
      offenders.push({ desc: `${el.localName}${id}${cls}`, right: Math.round(r.right + scrollX) });
    }
  }
  offenders.sort((a, b) => b.right - a.right);
  return { scrollWidth, innerWidth: window.innerWidth, offenders: offenders.slice(0, 5) };
}
