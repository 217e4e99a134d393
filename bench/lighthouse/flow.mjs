// Lighthouse on six public pages as a resident reaches them, in one user flow:
// home, lookup, the lookup result (a POST), a question page of a proposal, the
// confirmation after sending, and the tracking page. Mobile form factor and
// Lighthouse's default simulated slow 4G; the HTTP cache is off, so each page is
// measured as a first visit (its stylesheet and script fetched again). Cookies
// are kept: the journey needs them.
//
//   [RUNS=N] node flow.mjs BASE_URL OUT_DIR NIK NAME
//
// Writes OUT_DIR/[run-N/]flow.html, flow.json and <step>.json, prints a table
// of the four category scores (the median of the runs), and exits 1 when a page's accessibility
// is under 100 or best practices under 95 (not timing: the performance score
// comes from a simulated throttle and is reported, not asserted).
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import {startFlow} from 'lighthouse';
import {createRequire} from 'node:module';

const {version} = createRequire(import.meta.url)('lighthouse/package.json');

const [base, outDir, nik, name] = process.argv.slice(2);
if (!name) {
  console.error('usage: node flow.mjs BASE_URL OUT_DIR NIK NAME');
  process.exit(2);
}
const RUNS = Number(process.env.RUNS || 1);
const LIMITS = {accessibility: 100, 'best-practices': 95};
const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];

/** One walk through the six pages; returns the flow's result. */
async function walk(outDir) {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--headless=new', '--no-sandbox'],
  });
  const page = await browser.newPage();
  const cdp = await page.createCDPSession();
  // A first visit on every page: no HTTP cache at all (Lighthouse empties it
  // before a URL step, but Chromium's memory cache still served the stylesheet).
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', {cacheDisabled: true});
  const flow = await startFlow(page, {
    name: 'DTSEN Participation Portal, public pages',
    config: {extends: 'lighthouse:default', settings: {onlyCategories: CATEGORIES}},
  });
  /** A form's answer, measured. */
  const submitAndMeasure = (stepName, selector) =>
    flow.navigate(async () => {
      await page.click(selector);
    }, {name: stepName});
  /** Not measured: a step of the journey between two measured pages. */
  const answer = (selector = 'main button[type=submit]') =>
    Promise.all([page.waitForNavigation(), page.click(selector)]);

  try {
    await flow.navigate(`${base}/`, {name: 'home'});
    await flow.navigate(`${base}/lookup`, {name: 'lookup'});
    await page.type('#nik', nik);
    await page.type('#name', name);
    await submitAndMeasure('lookup result', 'main button[type=submit]');
    if (!page.url().includes('/lookup/result')) throw new Error(`lookup did not find: ${page.url()}`);

    // A proposal for another household, up to the village question: a fresh
    // session (after a lookup the household's village is known and not asked),
    // so the measured question page is the heaviest one (the village search's script).
    await cdp.send('Network.clearBrowserCookies');
    await page.goto(`${base}/submit/proposal`);
    await page.click('input[value=other_household]');
    await answer();
    await page.type('#subject_name', 'Siti Aminah');
    await page.type('#subject_address', 'Jl. Mawar 5, RT 001/RW 002');
    await answer();
    if (!page.url().endsWith('/village')) throw new Error(`not the village question: ${page.url()}`);
    await flow.navigate(page.url(), {name: 'question (village)'});

    await page.type('#village-search', 'cibinong bogor');
    await page.waitForSelector('.village-result');
    await Promise.all([page.waitForNavigation(), page.click('.village-result')]);
    await page.click('input[name=reason_codes]');
    await page.type('#details', 'Suami sakit sejak Januari, tidak ada penghasilan tetap.');
    await answer();
    await answer('button[value=continue]');
    await page.type('#contact', '0812 3456 7890');
    await answer();
    await page.click('input[name=consent]');
    await answer();
    if (!page.url().endsWith('/check')) throw new Error(`not the check page: ${page.url()}`);
    await submitAndMeasure('confirmation', 'main button[type=submit]');
    if (!page.url().endsWith('/submit/sent')) throw new Error(`not sent: ${page.url()}`);

    const tracking = await page.$eval("main a[href*='/t/']", (a) => a.href);
    await flow.navigate(tracking, {name: 'tracking'});
  } finally {
    await browser.close().catch(() => {});
  }
  fs.mkdirSync(outDir, {recursive: true});
  const result = await flow.createFlowResult();
  fs.writeFileSync(path.join(outDir, 'flow.json'), JSON.stringify(result));
  fs.writeFileSync(path.join(outDir, 'flow.html'), await flow.generateReport());
  for (const step of result.steps) {
    const slug = step.name.replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '');
    fs.writeFileSync(path.join(outDir, `${slug}.json`), JSON.stringify(step.lhr));
  }
  return result;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
};
const ms = (value) => (value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`);

const runs = [];
for (let i = 1; i <= RUNS; i++) {
  const dir = RUNS === 1 ? outDir : path.join(outDir, `run-${i}`);
  runs.push((await walk(dir)).steps);
  console.error(`run ${i} of ${RUNS}: reports in ${dir}`);
}

// Per page, the median over the runs of each score and timing (the lower
// middle one for an even count); a limit fails on the median.
const rows = [];
const failures = [];
for (const [index, step] of runs[0].entries()) {
  const lhrs = runs.map((steps) => steps[index].lhr);
  const row = {page: step.name, path: new URL(step.lhr.finalDisplayedUrl).pathname};
  for (const id of CATEGORIES) {
    row[id] = median(lhrs.map((lhr) => Math.round((lhr.categories[id]?.score ?? 0) * 100)));
  }
  for (const id of ['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time']) {
    row[id] = ms(median(lhrs.map((lhr) => lhr.audits[id]?.numericValue ?? 0)));
  }
  row.benchmark = median(lhrs.map((lhr) => Math.round(lhr.environment.benchmarkIndex)));
  rows.push(row);
  for (const [id, limit] of Object.entries(LIMITS)) {
    if (row[id] < limit) {
      const lhr = lhrs[0];
      const failed = lhr.categories[id].auditRefs
        .filter((ref) => ref.weight > 0 && lhr.audits[ref.id].score !== null)
        .filter((ref) => lhr.audits[ref.id].score < 1)
        .map((ref) => ref.id);
      failures.push(`${step.name}: ${id} ${row[id]} < ${limit} (${failed.join(', ')})`);
    }
  }
}

console.log(`Lighthouse ${version}, mobile, simulated slow 4G; median of ${RUNS} run(s)`);
console.log('| page | path | performance | accessibility | best practices | SEO | FCP | LCP | TBT | CPU benchmark |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const path_ = r.path.replace(/\/t\/[^/]+$/, '/t/…');
  console.log(
    `| ${r.page} | \`${path_}\` | ${r.performance} | ${r.accessibility} | ${r['best-practices']} | ` +
      `${r.seo} | ${r['first-contentful-paint']} | ${r['largest-contentful-paint']} | ` +
      `${r['total-blocking-time']} | ${r.benchmark} |`,
  );
}
console.log(`\nreports: ${outDir}/[run-N/]flow.html (all steps) and <page>.json`);
if (failures.length) {
  console.error(`\nFAIL (accessibility < 100 or best practices < 95):\n${failures.join('\n')}`);
  process.exit(1);
}
