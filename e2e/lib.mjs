// Shared helpers for the browser tests (a11y.mjs, keyboard.mjs).
//
// Everything here drives Debian's Chromium through playwright-core; nothing
// downloads a browser. See README.md for what is checked and why.

import { execSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

export const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));
export const SHOTS_DIR = path.join(E2E_DIR, 'shots');
export const DEFAULT_MODES = ['normal', 'hc', 'font-200', 'care'];
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
export const LAUNCH_ARGS = [
  '--disable-gpu',
  '--font-render-hinting=none',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

// ---------------------------------------------------------------- setup ---

/** BASE_URL from the environment, without a trailing slash. Exits 2 if unset. */
export function baseUrl() {
  const raw = process.env.BASE_URL;
  if (!raw) {
    console.error('error: BASE_URL is not set (e.g. BASE_URL=http://127.0.0.1:8080)');
    process.exit(2);
  }
  try {
    return new URL(raw).href.replace(/\/+$/, '');
  } catch {
    console.error(`error: BASE_URL is not a URL: ${raw}`);
    process.exit(2);
  }
}

/** Path of Debian's Chromium: $CHROMIUM, else `command -v chromium`. */
export function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  try {
    const p = execSync('command -v chromium', { shell: '/bin/sh', encoding: 'utf8' }).trim();
    if (p) return p;
  } catch { /* fall through */ }
  console.error('error: chromium not found. Install it with `apt-get install chromium fonts-noto-cjk`'
    + ' or set CHROMIUM=/path/to/chromium. Never download a browser.');
  process.exit(2);
}

export function versions(browser) {
  return {
    chromium: browser ? browser.version() : null,
    'playwright-core': require('playwright-core/package.json').version,
    'axe-core': require('axe-core/package.json').version,
    node: process.versions.node,
  };
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: LAUNCH_ARGS });
}

/**
 * A fresh context per page x mode, so that cookies (e.g. a persisted display
 * mode) never leak between runs. `viewport` defaults to 1280x800.
 */
export async function newContext(browser, { viewport = { width: 1280, height: 800 } } = {}) {
  return browser.newContext({
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    reducedMotion: 'reduce',
    viewport,
    // Keep the page's real CSP: axe is injected via CDP evaluation, which CSP does not block.
  });
}

/**
 * Loads pages.json (or $PAGES_JSON). Entries: { path, name, modes?, login? }.
 * Returns normalised entries; exits 2 on a malformed file.
 */
export function loadPages(file = process.env.PAGES_JSON || path.join(E2E_DIR, 'pages.json')) {
  let list;
  try {
    list = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    console.error(`error: cannot read ${file}: ${e.message}`);
    process.exit(2);
  }
  const problems = [];
  if (!Array.isArray(list) || list.length === 0) problems.push('must be a non-empty JSON array');
  const names = new Set();
  const out = (Array.isArray(list) ? list : []).map((p, i) => {
    const where = `entry ${i}`;
    if (typeof p !== 'object' || p === null) { problems.push(`${where}: not an object`); return null; }
    if (typeof p.path !== 'string' || !p.path.startsWith('/')) problems.push(`${where}: "path" must start with "/"`);
    if (typeof p.name !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/i.test(p.name)) problems.push(`${where}: "name" must be [A-Za-z0-9_-]+ (used in file names)`);
    else if (names.has(p.name)) problems.push(`${where}: duplicate name "${p.name}"`);
    names.add(p.name);
    const modes = p.modes ?? DEFAULT_MODES;
    if (!Array.isArray(modes) || modes.length === 0 || !modes.every((m) => typeof m === 'string' && /^[a-z0-9-]+$/.test(m))) {
      problems.push(`${where}: "modes" must be a non-empty array of mode names`);
    }
    if (p.login !== undefined && typeof p.login !== 'string') problems.push(`${where}: "login" must be a role name`);
    const unknown = Object.keys(p).filter((k) => !['path', 'name', 'modes', 'login', 'comment'].includes(k));
    if (unknown.length) problems.push(`${where}: unknown field(s) ${unknown.join(', ')}`);
    return { path: p.path, name: p.name, modes, login: p.login ?? null };
  });
  if (problems.length) {
    console.error(`error: ${file}:\n  ${problems.join('\n  ')}`);
    process.exit(2);
  }
  return out;
}

/** URL for a page in a display mode: ?a11y_mode=<mode> (kept alongside any existing query). */
export function urlFor(base, pagePath, mode) {
  const u = new URL(base + pagePath);
  if (mode) u.searchParams.set('a11y_mode', mode);
  return u.href;
}

/** A valid 18-digit 居民身份证号码 (GB 11643 check digit) for a county, birth date and sequence. */
export function idNumber(county = '321302', birth = '19800501', seq = 123) {
  const body = `${county}${birth}${String(seq).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((acc, d, i) => acc + Number(d) * weights[i], 0);
  return body + '10X98765432'[sum % 11];
}

/**
 * Logs the browser context in, so its pages carry the session cookie:
 *   "citizen"            — a citizen, through the one-time code the demo shows;
 *   "staff:<username>"   — a demo staff account (password `yjs-demo-2026`).
 * The server must run in demo mode.
 */
export async function login(context, base, role) {
  if (!role) return { ok: true };
  const req = context.request;
  const form = (o) => ({ form: o, maxRedirects: 0 });
  if (role === 'citizen') {
    const id = idNumber('321302', '19800501', 123);
    const page = await req.post(`${base}/login/code`, form({ id_number: id }));
    const code = (/class="code-shown">(\d{6})</.exec(await page.text()) || [])[1];
    if (!code) return { ok: false, note: `login "${role}": no demo code on the page (HTTP ${page.status()})` };
    const r = await req.post(`${base}/login`, form({ id_number: id, code }));
    return r.status() === 303 ? { ok: true } : { ok: false, note: `login "${role}": HTTP ${r.status()}` };
  }
  if (role.startsWith('staff:')) {
    const username = role.slice('staff:'.length);
    const r = await req.post(`${base}/staff/login`, form({ username, password: 'yjs-demo-2026' }));
    return r.status() === 303 ? { ok: true } : { ok: false, note: `login "${role}": HTTP ${r.status()}` };
  }
  return { ok: false, note: `login "${role}" is not a known role (use "citizen" or "staff:<username>")` };
}

/**
 * Records every request whose origin differs from BASE_URL's, and aborts it
 * before it leaves the browser (so a page that references a CDN never causes
 * traffic off the machine). Returns the live array of offending URLs.
 */
export async function guardOrigins(context, base) {
  const origin = new URL(base).origin;
  const foreign = [];
  const isForeign = (url) => {
    if (!/^(https?|wss?):/i.test(url)) return false; // data:, blob:, about: never hit the network
    try { return new URL(url).origin !== origin; } catch { return true; }
  };
  context.on('request', (req) => {
    if (isForeign(req.url()) && !foreign.includes(req.url())) foreign.push(req.url());
  });
  await context.route((url) => isForeign(url.href), (route) => route.abort('blockedbyclient'));
  return foreign;
}

/** Navigates and waits for load + web fonts. Returns the HTTP status (0 if none). */
export async function openPage(page, url) {
  const resp = await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  await page.evaluate(() => document.fonts.ready.then(() => true));
  return resp ? resp.status() : 0;
}

export function slug(s) {
  return String(s).replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+|_+$/g, '') || 'root';
}

export function ensureShotsDir() {
  fs.mkdirSync(SHOTS_DIR, { recursive: true });
}

// -------------------------------------------------------------- keyboard ---

/**
 * Installs in-page helpers (window.__e2e): stable element ids, a short
 * selector for messages, and a snapshot of every focusable element's
 * unfocused styles (taken now, while nothing is focused), used later to
 * decide whether focus is visibly indicated.
 */
export async function installPageHelpers(page) {
  await page.evaluate(() => {
    if (window.__e2e) return;
    const ids = new WeakMap();
    let next = 1;
    const idOf = (el) => { if (!ids.has(el)) ids.set(el, next++); return ids.get(el); };
    const describe = (el) => {
      if (!el || el.nodeType !== 1) return String(el);
      const parts = [];
      let cur = el;
      for (let depth = 0; cur && cur.nodeType === 1 && depth < 4; depth++) {
        let s = cur.localName;
        if (cur.id) { parts.unshift(`${s}#${CSS.escape(cur.id)}`); break; }
        const cls = [...cur.classList].slice(0, 2).map((c) => '.' + CSS.escape(c)).join('');
        s += cls;
        const parent = cur.parentElement;
        if (parent) {
          const same = [...parent.children].filter((c) => c.localName === cur.localName);
          if (same.length > 1) s += `:nth-of-type(${same.indexOf(cur) + 1})`;
        }
        parts.unshift(s);
        cur = parent;
      }
      const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ').slice(0, 30);
      return parts.join(' > ') + (text ? ` "${text}"` : '');
    };
    const PROPS = ['outlineStyle', 'outlineWidth', 'outlineColor', 'outlineOffset', 'boxShadow',
      'borderTopColor', 'borderRightColor', 'borderBottomColor', 'borderLeftColor',
      'borderTopWidth', 'borderRightWidth', 'borderBottomWidth', 'borderLeftWidth',
      'backgroundColor', 'color', 'textDecorationLine'];
    const pick = (el, pseudo) => {
      const cs = getComputedStyle(el, pseudo);
      const o = {};
      for (const p of PROPS) o[p] = cs[p];
      o.content = pseudo ? cs.content : undefined;
      return o;
    };
    // Boxes that commonly carry a focus indicator: the element, its pseudo
    // elements, its parent (:focus-within), its next sibling and its label
    // (custom radios/checkboxes: input:focus + label::before).
    const boxes = (el) => {
      const out = { self: pick(el), 'self::before': pick(el, '::before'), 'self::after': pick(el, '::after') };
      if (el.parentElement) out.parent = pick(el.parentElement);
      const sib = el.nextElementSibling;
      if (sib) { out.next = pick(sib); out['next::before'] = pick(sib, '::before'); out['next::after'] = pick(sib, '::after'); }
      const label = el.labels && el.labels[0];
      if (label && label !== sib) { out.label = pick(label); out['label::before'] = pick(label, '::before'); out['label::after'] = pick(label, '::after'); }
      return out;
    };
    const finishTransitions = (el) => {
      const els = [el, el.parentElement, el.nextElementSibling, el.labels && el.labels[0]].filter(Boolean);
      for (const e of els) for (const a of e.getAnimations({ subtree: true })) { try { a.finish(); } catch { /* infinite */ } }
    };
    const baseline = new WeakMap();
    const FOCUSABLE = 'a[href], area[href], button, input, select, textarea, summary, iframe, [tabindex], [contenteditable]';
    const snapshotAll = () => {
      for (const el of document.querySelectorAll('*')) {
        if (el.matches(FOCUSABLE) || el.tabIndex >= 0) baseline.set(el, boxes(el));
      }
    };
    const alpha = (color) => {
      const m = /rgba?\(([^)]+)\)/.exec(color || '');
      if (!m) return 1;
      const parts = m[1].split(/[ ,/]+/).filter(Boolean);
      return parts.length >= 4 ? parseFloat(parts[3]) : 1;
    };
    const outlineVisible = (s) => s.outlineStyle !== 'none' && alpha(s.outlineColor) > 0
      && (s.outlineStyle === 'auto' || parseFloat(s.outlineWidth) > 0);
    const shadowVisible = (s) => s.boxShadow && s.boxShadow !== 'none';

    // Judges the currently focused element. Returns a plain object.
    const inspectFocus = () => {
      let el = document.activeElement;
      if (!el || el === document.body || el === document.documentElement) return { body: true };
      const info = { body: false, id: idOf(el), tag: el.localName, desc: describe(el),
        href: el.localName === 'a' ? el.getAttribute('href') : null };
      if (el.localName === 'iframe') { info.frame = true; return info; }
      finishTransitions(el);
      // Focus indicator: compare with the unfocused snapshot.
      const before = baseline.get(el);
      if (!before) {
        info.indicator = { verdict: 'unknown', why: 'element appeared after load; focus style not compared' };
      } else {
        const now = boxes(el);
        const strong = [];
        const weak = [];
        // Only changes that can be seen count: outline props while neither
        // state shows an outline, a border colour on a 0-width border, or a
        // pseudo-element that is not rendered (content none/normal) do not.
        const rendered = (box, st) => !box.includes('::') || !['none', 'normal'].includes(st.content);
        const hasBorder = (st) => ['Top', 'Right', 'Bottom', 'Left'].some((side) => parseFloat(st[`border${side}Width`]) > 0);
        for (const [box, s] of Object.entries(now)) {
          const b = before[box];
          if (!b || (!rendered(box, s) && !rendered(box, b))) continue;
          const changed = Object.keys(s).filter((k) => s[k] !== b[k]).filter((k) => {
            if (k.startsWith('outline')) return outlineVisible(s) || outlineVisible(b);
            if (k === 'boxShadow') return shadowVisible(s) || shadowVisible(b);
            if (k.startsWith('border') && k.endsWith('Color')) return hasBorder(s) || hasBorder(b);
            return true;
          });
          if (!changed.length) continue;
          const outlineChanged = changed.some((k) => k.startsWith('outline'));
          if (outlineChanged && outlineVisible(s)) strong.push(`${box} outline ${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`);
          else if (changed.includes('boxShadow') && shadowVisible(s)) strong.push(`${box} box-shadow ${s.boxShadow}`);
          else weak.push(`${box}: ${changed.join(', ')}`);
        }
        if (strong.length) {
          const s = now.self;
          const thin = strong.some((x) => x.startsWith('self outline')) && s.outlineStyle !== 'auto' && parseFloat(s.outlineWidth) < 2;
          info.indicator = { verdict: thin ? 'thin' : 'ok', why: strong.join('; ') };
        } else if (weak.length) {
          info.indicator = { verdict: 'weak', why: `only ${weak.join('; ')} changed (no outline/box-shadow)` };
        } else {
          info.indicator = { verdict: 'none', why: 'computed style identical to the unfocused state' };
        }
      }
      // Obscured: hit-test the centre of the visible part of the element.
      const r = el.getBoundingClientRect();
      info.rect = { x: Math.round(r.x), y: Math.round(r.y), w: Math.round(r.width), h: Math.round(r.height) };
      if (r.width < 1 || r.height < 1) {
        info.obscured = { verdict: 'invisible', why: `focused element is ${r.width}x${r.height} px` };
        return info;
      }
      const left = Math.max(r.left, 0), right = Math.min(r.right, innerWidth);
      const top = Math.max(r.top, 0), bottom = Math.min(r.bottom, innerHeight);
      if (right <= left || bottom <= top) {
        info.obscured = { verdict: 'offscreen', why: `focused element is outside the viewport at ${info.rect.x},${info.rect.y}` };
        return info;
      }
      const x = (left + right) / 2, y = (top + bottom) / 2;
      const hit = document.elementFromPoint(x, y);
      const labels = el.labels ? [...el.labels] : [];
      const ok = hit && (hit === el || el.contains(hit) || labels.some((l) => l.contains(hit))
        || (getComputedStyle(el).pointerEvents === 'none' && hit.contains(el)));
      info.obscured = ok ? { verdict: 'ok' }
        : { verdict: 'covered', why: `elementFromPoint(${Math.round(x)},${Math.round(y)}) is ${describe(hit)}` };
      return info;
    };

    window.__e2e = { idOf, describe, snapshotAll, inspectFocus };
    snapshotAll();
  });
}

/** Presses Tab and judges the newly focused element (see inspectFocus). */
export async function tabAndInspect(page, key = 'Tab') {
  await page.keyboard.press(key);
  return page.evaluate(() => window.__e2e.inspectFocus());
}

/**
 * Checks the first Tab stop is a skip link whose in-page target exists.
 * Must be called on a freshly loaded page (after installPageHelpers).
 * Returns { ok, stop, why }.
 */
export async function checkSkipLink(page) {
  const initial = await page.evaluate(() => window.__e2e.inspectFocus());
  if (!initial.body) return { ok: false, stop: initial, why: `page starts with focus on ${initial.desc} (autofocus?)` };
  const stop = await tabAndInspect(page);
  if (stop.body) return { ok: false, stop, why: 'first Tab focused nothing (no focusable elements?)' };
  const target = await page.evaluate(() => {
    const a = document.activeElement;
    if (a.localName !== 'a') return { err: `first Tab stop is <${a.localName}>, not a skip link <a href="#...">` };
    const href = a.getAttribute('href') || '';
    if (!href.startsWith('#') || href.length < 2) return { err: `first Tab stop is a link to "${href}", not an in-page skip link` };
    const id = decodeURIComponent(href.slice(1));
    const t = document.getElementById(id) || document.getElementsByName(id)[0];
    if (!t) return { err: `skip link href="${href}" has no target element` };
    return { text: a.innerText.trim(), target: window.__e2e.describe(t) };
  });
  if (target.err) return { ok: false, stop, why: target.err };
  return { ok: true, stop, why: `skip link "${target.text}" -> ${target.target}` };
}

/**
 * Tabs through up to `max` stops from the current focus. Stops early when
 * focus wraps (reaches the body/document again, or revisits the first stop).
 * Returns { stops, trap }, where trap is a message if focus got stuck or
 * cycled among a subset of elements.
 */
export async function tabWalk(page, { max = 60, first = null } = {}) {
  const stops = first ? [first] : [];
  const seen = new Map(stops.map((s, i) => [s.id, i]));
  let trap = null;
  let prev = first;
  let wrapped = false;
  while (stops.length < max) {
    const s = await tabAndInspect(page);
    if (s.body) { wrapped = true; break; }
    if (prev && !prev.body && s.id === prev.id) { trap = `focus stuck on ${s.desc}: Tab did not move it`; break; }
    if (seen.has(s.id)) {
      const at = seen.get(s.id);
      if (at !== 0) trap = `focus cycles among ${stops.length - at} element(s) from ${s.desc} and never leaves them`;
      else wrapped = true;
      break;
    }
    seen.set(s.id, stops.length);
    stops.push(s);
    prev = s;
  }
  return { stops, trap, wrapped };
}

// ------------------------------------------------------------ formatting ---

export const color = process.stdout.isTTY && !process.env.NO_COLOR
  ? { red: (s) => `\x1b[31m${s}\x1b[0m`, yellow: (s) => `\x1b[33m${s}\x1b[0m`, green: (s) => `\x1b[32m${s}\x1b[0m`, dim: (s) => `\x1b[2m${s}\x1b[0m` }
  : { red: (s) => s, yellow: (s) => s, green: (s) => s, dim: (s) => s };

/** Formats one axe violation: rule id, impact, help, target selectors. */
export function formatViolation(v, indent = '    ') {
  const lines = [`${indent}[${v.impact}] ${v.id}: ${v.help}`, `${indent}  ${v.helpUrl}`];
  for (const n of v.nodes.slice(0, 10)) {
    lines.push(`${indent}  - ${n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(' | ')}`);
  }
  if (v.nodes.length > 10) lines.push(`${indent}  ... and ${v.nodes.length - 10} more`);
  return lines.join('\n');
}
