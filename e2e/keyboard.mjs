// Keyboard-only journeys.
//
//   BASE_URL=http://127.0.0.1:8080 node keyboard.mjs [journey-name ...]
//
// Each journey gets a fresh browser context and drives the page with the
// keyboard only: `kb.press`, `kb.type`, `kb.tab`, `kb.tabTo`, `kb.submit`.
// There is deliberately no click or fill helper. `read(fn, arg)` evaluates in
// the page for assertions only (it must not change the page).
// Exits 1 if any journey failed, 2 on a setup error.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import {
  SHOTS_DIR, baseUrl, launchBrowser, newContext, versions, urlFor, guardOrigins, openPage,
  installPageHelpers, checkSkipLink, tabAndInspect, login, ensureShotsDir, color, slug, idNumber, AXE_TAGS,
} from './lib.mjs';

const AXE_SRC = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

// ------------------------------------------------------------- journeys ---
// Add a journey as { name, description, path, login?, run(t) }.
// t = { kb, read, focused, expect, step, base, goto, axe }: axe() checks the page as it is now
// (for states a11y.mjs cannot reach by URL: error summaries, later steps of a form).

const journeys = [
  {
    name: 'status-skip-link',
    description: '状态页：第一次按 Tab 到“跳到主要内容”，按 Enter，焦点进入 <main>，再按 Tab 从主要内容继续',
    path: '/',
    async run({ kb, read, focused, expect, step }) {
      await step('first Tab stop is the skip link', async () => {
        const skip = await kb.skipLink();
        expect(skip.ok, skip.why);
        return skip.why;
      });
      await step('Enter on the skip link moves focus into <main>', async () => {
        await kb.press('Enter');
        const f = await focused();
        if (!f.inMain) {
          // Diagnose: did at least the sequential navigation point move?
          const next = await kb.tab();
          const moved = next.inMain || next.afterMain;
          expect(false, `focus stayed on ${f.desc}` + (moved
            ? ' (the next Tab does continue inside <main>: give the skip link target tabindex="-1" so focus itself moves)'
            : ' and the next Tab does not continue inside <main> either'));
        }
        return `focus on ${f.desc}`;
      });
      await step('next Tab continues from the main content', async () => {
        const f = await kb.tab();
        expect(f.inMain || f.afterMain || f.body, `next Tab went back before <main>, to ${f.desc}`);
        return f.body ? 'no focusable element after <main> (focus left the page)' : `focus on ${f.desc}`;
      });
    },
  },
  {
    name: 'citizen-login',
    description: '群众登录：只用键盘输入身份证号码（先输错一次看错误提示）、获取验证码、登录、退出',
    path: '/login',
    async run({ kb, read, focused, expect, step, axe }) {
      const id = idNumber('321302', '19800501', 125);
      await step('Tab to the ID number field and type a number with a wrong check digit', async () => {
        const f = await kb.tabTo('居民身份证号码');
        expect(f.tag === 'input', `focus on ${f.desc}`);
        await kb.type(id.slice(0, 17) + (id.endsWith('1') ? '2' : '1'));
        return f.desc;
      });
      await step('Enter submits; the error summary takes focus and links to the field', async () => {
        await kb.submit();
        const title = await read(() => document.title);
        expect(title.startsWith('错误：'), `title is "${title}"`);
        const f = await focused();
        expect(f.desc.includes('error-summary'), `focus on ${f.desc}, not the error summary`);
        return title;
      });
      await step('the page with the error passes axe', axe);
      await step('Tab to the link in the summary, Enter moves to the field; correct it', async () => {
        await kb.tabTo('校验');
        await kb.press('Enter');
        const f = await focused();
        expect(f.tag === 'input', `focus on ${f.desc}`);
        await kb.press('Control+A');
        await kb.type(id);
        await kb.submit();
        const h1 = await read(() => document.querySelector('h1')?.innerText ?? '');
        expect(h1.includes('验证码'), `h1 is "${h1}"`);
        return h1;
      });
      await step('the code page passes axe', axe);
      await step('the demo shows the code; type it into the code field and log in', async () => {
        const code = await read(() => document.querySelector('.code-shown')?.innerText.trim() ?? '');
        expect(/^\d{6}$/.test(code), `code shown: "${code}"`);
        await kb.tabTo('验证码');
        await kb.type(code);
        await kb.submit();
        const h1 = await read(() => document.querySelector('h1')?.innerText ?? '');
        expect(h1.includes('已登录'), `h1 is "${h1}"`);
        return h1;
      });
      await step('Tab to 退出登录 and press Enter: logged out', async () => {
        await kb.tabTo('退出登录');
        await kb.submit();
        const text = await read(() => document.querySelector('main')?.innerText ?? '');
        expect(text.includes('您已安全退出'), 'no logged-out notice');
        return 'logged out';
      });
    },
  },
  {
    name: 'staff-login',
    description: '工作人员登录：只用键盘输入用户名和密码并登录',
    path: '/staff/login',
    async run({ kb, read, expect, step }) {
      await step('type the username and the password, Enter logs in', async () => {
        await kb.tabTo('用户名');
        await kb.type('window.321302');
        await kb.tabTo('密码');
        await kb.type('yjs-demo-2026');
        await kb.submit();
        const h1 = await read(() => document.querySelector('h1')?.innerText ?? '');
        expect(h1.includes('已登录'), `h1 is "${h1}"`);
        const main = await read(() => document.querySelector('main')?.innerText ?? '');
        expect(main.includes('综合窗口受理员'), 'the role is shown');
        return h1;
      });
    },
  },
  // TODO(lead): the 一张表 application journey (login stub → tasks → upload via
  // the “选择文件” button → check answers → 提交申请 → 好差评), keyboard only:
  // {
  //   name: 'application-form', path: '/apply', login: 'citizen',
  //   async run({ kb, read, focused, expect, step }) {
  //     await step('fill name', async () => { await kb.tabTo('姓名'); await kb.type('张三'); });
  //     await step('continue', async () => { await kb.tabTo('下一步'); await kb.submit(); });
  //     ...
  //   },
  // },
];

// --------------------------------------------------------------- runner ---

class JourneyFailure extends Error {}

function expect(cond, message) {
  if (!cond) throw new JourneyFailure(message);
}

async function runJourney(browser, base, j) {
  const ctx = await newContext(browser);
  const foreign = await guardOrigins(ctx, base);
  const lg = await login(ctx, base, j.login);
  if (!lg.ok) console.log(color.yellow(`  warn ${lg.note}`));
  const page = await ctx.newPage();
  const read = (fn, arg) => page.evaluate(fn, arg);
  const focused = () => page.evaluate(() => {
    const a = document.activeElement;
    const body = !a || a === document.body || a === document.documentElement;
    const main = document.querySelector('main, [role=main]');
    return {
      body,
      tag: body ? null : a.localName,
      desc: body ? '<body>' : window.__e2e.describe(a),
      inMain: !!main && !body && (main === a || main.contains(a)),
      afterMain: !!main && !body && !!(main.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING),
    };
  });
  const afterNavigation = async () => {
    await page.waitForLoadState('load');
    await page.evaluate(() => document.fonts.ready.then(() => true));
    await installPageHelpers(page);
  };
  const kb = {
    press: (key) => page.keyboard.press(key),
    type: (text) => page.keyboard.type(text),
    /** Tab (or Shift+Tab with {back:true}); returns focused() for the new stop. */
    tab: async ({ back = false } = {}) => { await page.keyboard.press(back ? 'Shift+Tab' : 'Tab'); return focused(); },
    /** Tabs until the focused element's text, value, aria-label or label contains `text`. */
    tabTo: async (text, { max = 60 } = {}) => {
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        const hit = await page.evaluate((t) => {
          const a = document.activeElement;
          if (!a || a === document.body) return false;
          const names = [a.innerText, a.value, a.getAttribute('aria-label'), ...[...(a.labels || [])].map((l) => l.innerText)];
          return names.some((n) => n && n.includes(t));
        }, text);
        if (hit) return focused();
      }
      throw new JourneyFailure(`no Tab stop named "${text}" within ${max} presses`);
    },
    /** Presses a key that navigates (Enter on a link or submit button) and waits for the new page. */
    submit: async (key = 'Enter') => {
      await Promise.all([page.waitForEvent('load', { timeout: 30_000 }), page.keyboard.press(key)]);
      await afterNavigation();
      return focused();
    },
    skipLink: () => checkSkipLink(page),
  };
  const goto = async (p) => {
    const url = urlFor(base, p, null);
    const status = await openPage(page, url);
    expect(status > 0 && status < 400, `GET ${url} returned HTTP ${status}`);
    await installPageHelpers(page);
  };

  let n = 0;
  const step = async (name, fn) => {
    n++;
    try {
      const detail = await fn();
      console.log(`    ${color.green('ok  ')} ${n}. ${name}${detail ? color.dim(` — ${detail}`) : ''}`);
    } catch (e) {
      console.log(`    ${color.red('FAIL')} ${n}. ${name} — ${e instanceof JourneyFailure ? e.message : e.message.split('\n')[0]}`);
      throw e;
    }
  };

  let ok = true;
  try {
    await goto(j.path);
    const axe = async () => {
      await page.evaluate(AXE_SRC);
      const r = await page.evaluate(async (tags) => window.axe.run(document, {
        runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'],
      }), AXE_TAGS);
      const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(bad.length === 0, `axe: ${bad.map((v) => `${v.id} (${v.impact}): ${v.help}`).join('; ')}`);
      return `axe: ${r.violations.length} violation(s), none serious`;
    };
    await j.run({ kb, read, focused, expect, step, base, goto, axe });
  } catch (e) {
    ok = false;
    if (!(e instanceof JourneyFailure) && n === 0) console.log(color.red(`    FAIL ${e.message.split('\n')[0]}`));
    ensureShotsDir();
    const shot = path.join(SHOTS_DIR, `keyboard-${slug(j.name)}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.log(`    screenshot: ${path.relative(process.cwd(), shot)}`);
  }
  if (foreign.length) {
    ok = false;
    console.log(color.red(`    FAIL request(s) to other origins (blocked): ${foreign.join(', ')}`));
  }
  await ctx.close();
  return ok;
}

const base = baseUrl();
const only = process.argv.slice(2);
const selected = only.length ? journeys.filter((j) => only.includes(j.name)) : journeys;
if (only.length && selected.length !== only.length) {
  console.error(`error: unknown journey(s); known: ${journeys.map((j) => j.name).join(', ')}`);
  process.exit(2);
}
let browser;
try {
  browser = await launchBrowser();
} catch (e) {
  console.error(`error: could not launch Chromium: ${e.message}`);
  process.exit(2);
}
const ver = versions(browser);
console.log(`keyboard: ${base} | chromium ${ver.chromium}, playwright-core ${ver['playwright-core']}`);
let passed = 0;
for (const j of selected) {
  console.log(`\n  ${j.name} (${j.path}): ${j.description}`);
  const ok = await runJourney(browser, base, j);
  if (ok) passed++;
  console.log(`  ${ok ? color.green('PASS') : color.red('FAIL')} ${j.name}`);
}
await browser.close();
console.log(`keyboard: ${passed} passed, ${selected.length - passed} failed`);
process.exit(passed === selected.length ? 0 : 1);
