// The page's verifier (ikrar_cli/web/cbor.js + verify.js + page.js) against the Python Verifier, case by case:
// same verdict, same reason code, same sentence in both languages, same details.
// Run: node --test tests/js/   (the fixtures come from tests/js_fixtures.py; set IKRAR_PYTHON
// to the interpreter that has ikrar installed, or IKRAR_JS_FIXTURES to a pre-built file).
// IKRAR_JS_PAGES names a JSON file of built pages with CLI verdicts (written by
// tests/test_web_verifier.py): for those, the script inlined in the page itself is run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const require = createRequire(import.meta.url);
const V = require(path.join(root, 'ikrar_cli', 'web', 'verify.js')); // loads cbor.js itself
require(path.join(root, 'ikrar_cli', 'web', 'page.js')); // adds the page strings (V.STRINGS); no document: no page

function loadFixtures() {
  if (process.env.IKRAR_JS_FIXTURES) return JSON.parse(readFileSync(process.env.IKRAR_JS_FIXTURES, 'utf8'));
  const py = process.env.IKRAR_PYTHON || 'python3';
  const out = execFileSync(py, [path.join(root, 'tests', 'js_fixtures.py')], { cwd: root, maxBuffer: 1 << 28 });
  return JSON.parse(out.toString('utf8'));
}

const fromB64 = (s) => Uint8Array.from(Buffer.from(s, 'base64'));
// JSON numbers as JSON.parse reads the Python side's (integers beyond 2^53 lose precision alike)
const asJson = (v) => JSON.parse(JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? Number(x) : x)));

async function compare(api, trust, group, c) {
  for (const lang of ['id', 'en']) {
    const exp = c.expect[lang];
    const r = await api.verify(trust, c.input, group.now, group.messages[lang]);
    if (exp.python_raised) {
      // Python crashed on this input (reported); the page must still answer
      assert.equal(r.valid, false, `${c.name}: Python raised ${exp.python_raised}`);
      continue;
    }
    const got = {
      valid: r.valid,
      reason: r.reason,
      message: r.message,
      warnings: r.warningCodes,
      warning_messages: r.warningMessages,
      receipt: asJson(r.receipt),
    };
    assert.deepEqual(got, exp, `${group.name} / ${c.name} [${lang}]`);
  }
}

const fixtures = loadFixtures();

for (const group of fixtures.groups) {
  test(`same results as Python: ${group.name} (${group.cases.length} cases)`, async () => {
    const trust = await V.loadBundle(fromB64(group.bundle), group.pins);
    const failures = [];
    for (const c of group.cases) {
      try {
        await compare(V, trust, group, c);
      } catch (e) {
        failures.push(e.message.split('\n').slice(0, 12).join('\n'));
      }
    }
    assert.deepEqual(failures, []);
  });
}

test('a bundle whose pledge text does not hash to its digest is refused, as in Python', async () => {
  assert.ok(fixtures.bad_bundles.length >= 2);
  for (const b of fixtures.bad_bundles)
    await assert.rejects(V.loadBundle(fromB64(b.bundle), b.pins), (e) => e instanceof V.BundleError, b.name);
});

test('the bundle of a WITA institution shows its times in WITA', async () => {
  const g = fixtures.groups.find((x) => x.name === 'stale bundle of a WITA institution');
  const trust = await V.loadBundle(fromB64(g.bundle), g.pins);
  const r = await V.verify(trust, g.cases[0].input, g.now, g.messages.en);
  assert.deepEqual(r.warningCodes, ['stale_bundle']);
  assert.match(r.warningMessages[0], / WITA/);
});

test('every vector of tests/vectors/receipts.json is covered', () => {
  const vectors = JSON.parse(readFileSync(path.join(root, 'tests', 'vectors', 'receipts.json'), 'utf8'));
  const seen = new Set();
  for (const g of fixtures.groups) for (const c of g.cases) seen.add(c.input);
  for (const c of vectors.cases) assert.ok(seen.has(c.receipt), c.name);
});

test('the vectors give the verdicts the vector file states', async () => {
  const vectors = JSON.parse(readFileSync(path.join(root, 'tests', 'vectors', 'receipts.json'), 'utf8'));
  for (const g of fixtures.groups.filter((x) => x.name.startsWith('vectors'))) {
    const trust = await V.loadBundle(fromB64(g.bundle), g.pins);
    for (const c of g.cases) {
      const spec = vectors.cases.find((v) => v.name === c.name);
      const r = await V.verify(trust, c.input, g.now, null);
      if (spec.expect === 'bad_signature_or_malformed')
        assert.ok(['bad_signature', 'malformed', 'non_canonical'].includes(r.reason), c.name);
      else assert.equal(r.reason, spec.expect, c.name);
      assert.equal(r.valid, spec.expect === 'valid');
    }
  }
});

test('decoded claims of the valid vector match the vector file', () => {
  const vectors = JSON.parse(readFileSync(path.join(root, 'tests', 'vectors', 'receipts.json'), 'utf8'));
  const v = vectors.cases[0];
  const r = V.decodeReceipt(v.receipt);
  assert.equal(V.hex(r.kid), vectors.terminal.kid_hex);
  assert.equal(r.alg, -19);
  const c = r.claims;
  assert.equal(c.pledge_id, v.claims.pledge_id);
  assert.equal(c.pledge_version, BigInt(v.claims.pledge_version));
  assert.equal(V.hex(c.pledge_digest), v.claims.pledge_digest.slice(0, 24));
  assert.equal(c.officer_id, v.claims.officer_id);
  assert.equal(c.officer_name, v.claims.officer_name);
  assert.equal(c.issued_at, BigInt(v.claims.issued_at));
  assert.equal(c.zone, v.claims.zone);
  assert.equal(c.method, v.claims.method);
});

test('an altered bundle or another authority is refused', async () => {
  const g = fixtures.groups[0];
  const bytes = fromB64(g.bundle);
  await V.loadBundle(bytes, g.pins); // the original loads
  const text = Buffer.from(bytes).toString('utf8');
  const altered = [
    text.replace('Dinas Kesehatan', 'Dinas Kesehatam'),
    text.replace('"serial":1', '"serial":2'),
    text.replace(/"value":"(.)/, (m, ch) => `"value":"${ch === 'A' ? 'B' : 'A'}`),
    text.replace('"bundle":{', '"bundle": {'),
    text.trimEnd(),
  ];
  for (const t of altered) {
    assert.notEqual(t, text);
    await assert.rejects(V.loadBundle(new TextEncoder().encode(t), g.pins), V.BundleError);
  }
  await assert.rejects(V.loadBundle(bytes, ['SHA256:' + '0'.repeat(64)]), V.BundleError);
});

test('both languages have every page string', () => {
  const id = Object.keys(V.STRINGS.id).sort();
  const en = Object.keys(V.STRINGS.en).sort();
  assert.deepEqual(id, en);
  for (const lang of ['id', 'en']) for (const k of id) assert.ok(V.STRINGS[lang][k].trim(), `${lang}.${k}`);
  for (const g of fixtures.groups)
    for (const lang of ['id', 'en']) {
      assert.deepEqual(Object.keys(g.messages[lang].reasons).sort(), Object.keys(g.messages.id.reasons).sort());
      for (const v of Object.values(g.messages[lang].reasons)) assert.ok(v.trim());
    }
});

test('times are written as the CLI writes them', () => {
  assert.equal(V.formatLocal(1727740800, 'Asia/Jakarta'), '2024-10-01 07:00:00 WIB');
  assert.equal(V.formatLocal(1727740800, 'Asia/Makassar'), '2024-10-01 08:00:00 WITA');
  assert.equal(V.formatLocal(1727740800n + 3600n, 'Asia/Jayapura'), '2024-10-01 10:00:00 WIT');
});

// Pages built by the CLI, with `ikrar verify --json` verdicts (see tests/test_web_verifier.py)
if (process.env.IKRAR_JS_PAGES) {
  const pages = JSON.parse(readFileSync(process.env.IKRAR_JS_PAGES, 'utf8'));
  for (const p of pages) {
    test(`page built by the CLI: ${p.name} (${p.cases.length} receipts)`, async () => {
      const html = readFileSync(p.page, 'utf8');
      const data = JSON.parse(/<script type="application\/json" id="ikrar-data">(.*?)<\/script>/s.exec(html)[1]);
      const scripts = [...html.matchAll(/<script>(.*?)<\/script>/gs)].map((m) => m[1]);
      assert.equal(scripts.length, 1);
      // run the very script the page carries, in a fresh context without a document
      const ctx = vm.createContext({ atob, TextDecoder, TextEncoder, crypto: globalThis.crypto, URLSearchParams });
      vm.runInContext(scripts[0], ctx);
      const api = ctx.IkrarVerify;
      const trust = await api.loadBundle(fromB64(data.bundle), data.pins);
      const group = { name: p.name, now: p.now, messages: data.messages };
      for (const c of p.cases) {
        for (const lang of ['id', 'en']) {
          const exp = c.expect[lang];
          const r = await api.verify(trust, c.input, p.now, data.messages[lang]);
          assert.equal(r.reason, exp.reason, `${c.name} [${lang}]`);
          assert.equal(r.valid, exp.valid, `${c.name} [${lang}]`);
          assert.equal(r.message, exp.message, `${c.name} [${lang}]`);
          assert.deepEqual(asJson(r.warningMessages), exp.warning_messages, `${c.name} [${lang}]`); // other realm: copy
          assert.deepEqual(asJson(r.receipt), exp.receipt, `${c.name} [${lang}]`);
        }
      }
      assert.ok(group);
    });
  }
}
