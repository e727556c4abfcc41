/* ikrar offline verifier, part 2 of 3: decodes IKR1 receipts and checks them against the
 * embedded, signed trust bundle, exactly as ikrar_cli/verify.py does (same checks, same order,
 * same reason codes). Specification: docs/receipt-format.md, docs/web-verifier.md.
 * Runs in the page and under Node (tests/js/verify.test.mjs). */
(function (root) {
  'use strict';
  const C = root.IkrarCbor || require('./cbor.js');
  const { MAX_TEXT, PREFIX, ReceiptError, TWO64, b45decode, concat, decodeCbor, encBytes, fail, fromB64, fromHex, head, hex, isBytes, isMap, pyLen, utf8 } = C;

  // ------------------------------------------------------------------------------------
  // The receipt (ikrar_cli/receipt.py decode_receipt)
  // ------------------------------------------------------------------------------------

  const ZONES = { 1: 'Asia/Jakarta', 2: 'Asia/Makassar', 3: 'Asia/Jayapura' };
  const ZONE_INFO = {
    'Asia/Jakarta': { abbr: 'WIB', offset: 7 },
    'Asia/Makassar': { abbr: 'WITA', offset: 8 },
    'Asia/Jayapura': { abbr: 'WIT', offset: 9 },
  };
  const ID_TYPES = { 1: 'nip', 2: 'nippppk', 3: 'nik', 4: 'internal' };
  const METHODS = { 1: 'individual', 2: 'collective' };

  const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
  // docs/receipt-format.md §1: line breaks go with the spaces and tabs around them; both ends trimmed
  const normaliseInput = (value) => value.replace(/[ \t]*[\r\n]+[ \t]*/g, '').replace(/^[ \t]+|[ \t]+$/g, '');

  function extractReceiptText(value) {
    value = normaliseInput(value);
    if (value.includes('#') && !value.startsWith(PREFIX)) value = value.slice(value.lastIndexOf('#') + 1);
    return value;
  }

  // a malformed receipt whose cause a person can fix gets its own sentence (receipt.py _MESSAGES)
  function failCause(cause, params) {
    const e = new ReceiptError('malformed');
    e.cause = cause;
    e.params = params || {};
    throw e;
  }

  function pyRepr(ch) {
    const cp = ch.codePointAt(0);
    if (ch === "'") return '"\'"';
    if (ch === '\\') return "'\\\\'";
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return "'\\x" + cp.toString(16).padStart(2, '0') + "'";
    return "'" + ch + "'";
  }

  function decodeReceipt(input) {
    if (typeof input !== 'string' || pyLen(input) > MAX_TEXT) fail('malformed');
    const text = extractReceiptText(input);
    if (!text.startsWith(PREFIX)) {
      if (text.slice(0, 3) === 'IKR' && /^[0-9]$/.test(text.charAt(3))) fail('unsupported_version');
      if (text.slice(0, 5).toUpperCase() === PREFIX) failCause('lower_case');
      fail('malformed');
    }
    const body = text.slice(PREFIX.length);
    let cose;
    try {
      cose = b45decode(body);
    } catch (e) {
      const bad = Array.from(body).find((c) => !BASE45.includes(c));
      if (bad !== undefined && bad !== bad.toUpperCase() && Array.from(body.toUpperCase()).every((c) => BASE45.includes(c)))
        failCause('lower_case');
      if (bad === '\u00b7') failCause('middle_dot');
      if (bad !== undefined) failCause('bad_character', { char: pyRepr(bad) });
      throw e;
    }
    let nonCanonical = false;
    const load = (bytes) => {
      const r = decodeCbor(bytes);
      nonCanonical = nonCanonical || r.nonCanonical;
      return r.value;
    };
    const arr = load(cose);
    if (!Array.isArray(arr) || arr.length !== 4) fail('malformed');
    const [protectedB, unprotected, payload, signature] = arr;
    if (!(isBytes(protectedB) && isMap(unprotected) && isBytes(payload) && isBytes(signature))) fail('malformed');
    if (signature.length !== 64) fail('malformed');
    if (unprotected.size !== 0) nonCanonical = true;
    const hdr = load(protectedB);
    if (!isMap(hdr) || hdr.size !== 2 || !hdr.has(1n) || !hdr.has(4n)) fail('malformed');
    const alg = hdr.get(1n);
    const kid = hdr.get(4n);
    if (typeof alg !== 'bigint') fail('malformed'); // a text alg included
    if (alg !== -19n && alg !== -8n) fail('unsupported_version');
    if (!isBytes(kid) || kid.length !== 8) fail('malformed');
    const claims = parseClaims(load(payload), () => {
      nonCanonical = true;
    });
    if (nonCanonical) fail('non_canonical');
    return { text, kid, alg: Number(alg), protected: protectedB, payload, signature, claims };
  }

  // ASCII digits only, no leading 0, below 2^64: such an id must be the integer claim
  const numericOfficerId = (s) => /^[1-9][0-9]*$/.test(s) && BigInt(s) < TWO64;

  function parseClaims(m, noteNonCanonical) {
    const required = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13].map(BigInt);
    if (!isMap(m) || !required.every((k) => m.has(k)) || ![...m.keys()].every((k) => k === 7n || required.includes(k)))
      fail('malformed');
    const uint = (v, table) => {
      if (typeof v !== 'bigint' || v < 0n || (table && !(v < 100n && table[Number(v)] !== undefined))) fail('malformed');
      return v;
    };
    const textClaim = (v) => {
      if (typeof v !== 'string' || pyLen(v) < 1 || pyLen(v) > 200) fail('malformed');
      return v;
    };
    // in key order 1 to 13; the first failing claim is the reason
    if (uint(m.get(1n)) !== 1n) fail('unsupported_version');
    const pledgeId = textClaim(m.get(2n));
    const pledgeVersion = uint(m.get(3n));
    const digest = m.get(4n);
    if (!isBytes(digest) || digest.length !== 12) fail('malformed');
    const officer = m.get(5n);
    let officerId;
    if (typeof officer === 'string') {
      officerId = textClaim(officer);
      if (numericOfficerId(officerId)) noteNonCanonical();
    } else if (uint(officer) > 0n) officerId = officer.toString();
    else fail('malformed');
    const idType = ID_TYPES[Number(uint(m.get(6n), ID_TYPES))];
    const name = m.has(7n) ? textClaim(m.get(7n)) : null;
    const unit = textClaim(m.get(8n));
    const session = uint(m.get(9n));
    const issuedAt = uint(m.get(10n));
    const zone = ZONES[Number(uint(m.get(11n), ZONES))];
    const method = METHODS[Number(uint(m.get(12n), METHODS))];
    return {
      pledge_id: pledgeId,
      pledge_version: pledgeVersion,
      pledge_digest: digest,
      officer_id: officerId,
      id_type: idType,
      officer_name: name,
      unit,
      session,
      issued_at: issuedAt,
      zone,
      method,
      ledger_index: uint(m.get(13n)),
    };
  }

  // RFC 9052 Sig_structure ["Signature1", protected, h'', payload], deterministic CBOR
  function sigStructure(protectedBytes, payload) {
    return concat([
      Uint8Array.of(0x84),
      head(3, 10),
      utf8('Signature1'),
      encBytes(protectedBytes),
      Uint8Array.of(0x40),
      encBytes(payload),
    ]);
  }

  // ------------------------------------------------------------------------------------
  // Time, as ikrar_cli/zones.py format_local writes it (Indonesia has no daylight saving)
  // ------------------------------------------------------------------------------------

  function formatLocal(ts, zone) {
    const info = ZONE_INFO[zone];
    const d = new Date((Number(ts) + info.offset * 3600) * 1000);
    // outside years 1-9999 Python's datetime cannot format it either: both print the raw number
    if (Number.isNaN(d.getTime()) || d.getUTCFullYear() > 9999 || d.getUTCFullYear() < 1) return String(ts) + ' ' + info.abbr;
    const p = (n, w) => String(n).padStart(w || 2, '0');
    return (
      `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
      `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${info.abbr}`
    );
  }

  // ------------------------------------------------------------------------------------
  // Crypto: WebCrypto Ed25519 only (no JavaScript fallback)
  // ------------------------------------------------------------------------------------

  const subtle = () => (root.crypto && root.crypto.subtle) || null;

  async function ed25519Supported(samplePublicKey) {
    const s = subtle();
    if (!s) return false;
    try {
      await s.importKey('raw', samplePublicKey, { name: 'Ed25519' }, false, ['verify']);
      return true;
    } catch (e) {
      return false;
    }
  }

  async function ed25519Verify(publicKey, signature, message) {
    try {
      const key = await subtle().importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
      return await subtle().verify({ name: 'Ed25519' }, key, signature, message);
    } catch (e) {
      return false;
    }
  }

  async function sha256(bytes) {
    return new Uint8Array(await subtle().digest('SHA-256', bytes));
  }

  // ------------------------------------------------------------------------------------
  // The trust bundle (docs/trust-bundle.md), checked again in the page
  // ------------------------------------------------------------------------------------

  class BundleError extends Error {}

  // The file is '{"bundle":' + canonical(bundle) + ',"signature":' + canonical(sig) + '}\n'; the
  // signature covers the UTF-8 bytes of canonical(bundle): we check those very bytes and parse
  // the bundle from them, so what is used is what was signed.
  async function loadBundle(fileBytes, pins) {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(fileBytes);
    const tail = /,"signature":(\{"alg":"Ed25519","kid":"[0-9a-f]{16}","value":"[A-Za-z0-9+/]+={0,2}"\})\}\n$/.exec(
      text,
    );
    if (!text.startsWith('{"bundle":') || !tail) throw new BundleError('layout');
    const bundleText = text.slice('{"bundle":'.length, tail.index);
    const sig = JSON.parse(tail[1]);
    let b;
    try {
      b = JSON.parse(bundleText);
    } catch (e) {
      throw new BundleError('layout');
    }
    if (!b || b.format !== 'ikrar-trust-bundle/1') throw new BundleError('format');
    const authorities = new Map();
    for (const a of b.authority_keys) authorities.set(a.kid, fromB64(a.public_key));
    const signer = authorities.get(sig.kid);
    if (!signer) throw new BundleError('signer');
    const fp = 'SHA256:' + hex(await sha256(signer));
    if (!pins.includes(fp)) throw new BundleError('pin');
    if (!(await ed25519Verify(signer, fromB64(sig.value), utf8(bundleText)))) throw new BundleError('signature');
    const terminals = new Map();
    for (const c of b.terminals) {
      const issuer = authorities.get(c.issuer);
      const body = Object.assign({}, c);
      delete body.signature;
      const pub = fromB64(c.public_key);
      if (!issuer) throw new BundleError('certificate');
      if (hex((await sha256(pub)).slice(0, 8)) !== c.kid) throw new BundleError('certificate');
      if (hex((await sha256(issuer)).slice(0, 8)) !== c.issuer) throw new BundleError('certificate');
      if (!(await ed25519Verify(issuer, fromB64(c.signature), utf8(canonicalJson(body)))))
        throw new BundleError('certificate');
      terminals.set(c.kid, Object.assign({}, c, { publicKey: pub }));
    }
    const zone = b.institution.timezone === undefined ? 'Asia/Jakarta' : b.institution.timezone;
    if (!Object.prototype.hasOwnProperty.call(ZONE_INFO, zone)) throw new BundleError('format');
    // each pledge's words must hash to its digest (ikrar_cli/trust.py _checked_pledge)
    for (const p of b.pledges) {
      const c = p.canonical;
      if (hex(await sha256(utf8(canonicalJson(c)))) !== p.digest || c.id !== p.id || c.version !== p.version)
        throw new BundleError('pledge');
    }
    return {
      raw: b,
      zone,
      fingerprint: fp,
      institution: b.institution.name,
      serial: b.serial,
      issuedAt: b.issued_at,
      validUntil: b.valid_until,
      authorities,
      terminals,
      keyRevocations: new Map(b.key_revocations.map((r) => [r.kid, r])),
      revokedReceipts: new Set(b.revoked_receipts),
      pledges: b.pledges,
      units: b.units,
    };
  }

  // canonical_json for a terminal certificate body (flat: strings, integers, null)
  function canonicalJson(obj) {
    if (obj === null || typeof obj !== 'object') return JSON.stringify(obj);
    if (Array.isArray(obj)) return '[' + obj.map(canonicalJson).join(',') + ']';
    const keys = Object.keys(obj).sort((a, b) => {
      const x = Array.from(a, (c) => c.codePointAt(0));
      const y = Array.from(b, (c) => c.codePointAt(0));
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
      return x.length - y.length;
    });
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(obj[k])).join(',') + '}';
  }

  function pledgeForPrefix(trust, prefix) {
    const p = hex(prefix);
    if (!p) return null;
    return trust.pledges.find((x) => x.digest.startsWith(p)) || null;
  }

  // ------------------------------------------------------------------------------------
  // Verification (ikrar_cli/verify.py Verifier.verify_receipt, same order, same codes)
  // ------------------------------------------------------------------------------------

  const num = (v) => (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

  function details(trust, r) {
    const c = r.claims;
    const cert = trust.terminals.get(hex(r.kid));
    const pledge = pledgeForPrefix(trust, c.pledge_digest);
    return {
      pledge: `${c.pledge_id}@${c.pledge_version}`,
      pledge_title: pledge ? pledge.canonical.title : null,
      pledge_digest_prefix: hex(c.pledge_digest),
      officer_id: c.officer_id,
      id_type: c.id_type,
      officer_name: c.officer_name,
      unit: c.unit,
      unit_name: Object.prototype.hasOwnProperty.call(trust.units, c.unit) ? trust.units[c.unit] : null,
      session: num(c.session),
      session_id: cert ? `${cert.name}/${num(c.session)}` : null, // TERMINAL/N, as docs/ledger.md names it
      issued_at: num(c.issued_at),
      time_local: formatLocal(c.issued_at, c.zone),
      zone: c.zone,
      method: c.method,
      ledger_index: num(c.ledger_index),
      terminal: cert ? cert.name : null,
      kid: hex(r.kid),
      institution: trust.institution,
    };
  }

  // the alternatives a scanned or pasted text may stand for: a link carries the receipt
  // percent-encoded in its fragment ('%' as %25, ' ' as %20); a bare receipt is taken as it is
  function candidates(input) {
    input = normaliseInput(input);
    const out = [];
    if (input.includes('#') && !input.startsWith(PREFIX)) {
      const frag = input.slice(input.lastIndexOf('#') + 1);
      if (/%2[05]/i.test(frag)) out.push(frag.replace(/%(2[05])/gi, (m, h) => (h === '20' ? ' ' : '%')));
      if (/%20/i.test(frag)) out.push(frag.replace(/%20/gi, ' '));
      out.push(frag);
    } else out.push(input);
    return out;
  }

  // the first alternative that decodes is the receipt; if none does, the verdict is the one
  // for the text as given (what the CLI says about the same string)
  function decodeAny(input) {
    let error = null;
    for (const text of candidates(input)) {
      try {
        return { receipt: decodeReceipt(text), text };
      } catch (e) {
        // as Verifier.verify: never throws
        error = e instanceof ReceiptError ? { code: e.code, cause: e.cause, params: e.params } : { code: 'malformed' };
      }
    }
    return { error };
  }

  async function verify(trust, input, nowSeconds, messages) {
    const warnings = [];
    if (nowSeconds > trust.validUntil)
      warnings.push({ code: 'stale_bundle', when: formatLocal(trust.validUntil, trust.zone) });
    const result = (valid, code, r, params) => ({
      valid,
      reason: code,
      params: params || {},
      warnings,
      receipt: r ? details(trust, r) : null,
      points: r ? pledgePoints(trust, r) : null,
      message: messages ? reasonMessage(messages, code, params || {}) : undefined,
      warningCodes: warnings.map((w) => w.code),
      warningMessages: messages ? warnings.map((w) => fill(messages.stale_bundle, w)) : undefined,
    });
    let decoded;
    try {
      decoded = decodeAny(input);
    } catch (e) {
      decoded = { error: { code: 'malformed' } };
    }
    if (decoded.error) {
      const out = result(false, decoded.error.code, null);
      // the precise sentence for a cause a person can fix (lower case, '·', a stray character)
      out.cause = decoded.error.cause || null;
      out.causeParams = decoded.error.params || {};
      if (out.cause && messages) out.message = fill(messages.causes[out.cause], out.causeParams);
      return out;
    }
    const r = decoded.receipt;
    const c = r.claims;
    const kid = hex(r.kid);
    const cert = trust.terminals.get(kid);
    if (!cert || !trust.authorities.has(cert.issuer)) return result(false, 'unknown_key', r, { kid });
    if (!(await ed25519Verify(cert.publicKey, r.signature, sigStructure(r.protected, r.payload))))
      return result(false, 'bad_signature', r);
    const revoked = trust.keyRevocations.get(kid);
    if (revoked && BigInt(revoked.revoked_at) <= c.issued_at)
      return result(false, 'key_revoked', r, { when: formatLocal(revoked.revoked_at, c.zone), reason: revoked.reason });
    if (!(BigInt(cert.not_before) <= c.issued_at && c.issued_at <= BigInt(cert.not_after)))
      return result(false, 'certificate_not_valid', r);
    if (trust.revokedReceipts.has(hex((await sha256(r.signature)).slice(0, 16))))
      return result(false, 'receipt_revoked', r);
    const pledge = pledgeForPrefix(trust, c.pledge_digest);
    if (!pledge || pledge.id !== c.pledge_id || BigInt(pledge.version) !== c.pledge_version)
      return result(false, 'unknown_pledge', r);
    return result(true, 'valid', r, { institution: trust.institution });
  }

  function pledgePoints(trust, r) {
    const p = pledgeForPrefix(trust, r.claims.pledge_digest);
    if (!p || p.id !== r.claims.pledge_id || BigInt(p.version) !== r.claims.pledge_version) return null;
    const c = p.canonical;
    return { title: c.title, opening: c.opening, points: c.points, closing: c.closing };
  }

  const fill = (template, params) => template.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));

  function reasonMessage(messages, code, params) {
    return fill(messages.reasons[code], params);
  }

  const api = {
    PREFIX,
    ReceiptError,
    BundleError,
    b45decode,
    decodeCbor,
    decodeReceipt,
    candidates,
    formatLocal,
    loadBundle,
    verify,
    reasonMessage,
    ed25519Supported,
    fromB64,
    fromHex,
    hex,
    details,
    fill,
    subtle,
  };
  root.IkrarVerify = api;
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
})(typeof globalThis !== 'undefined' ? globalThis : this);
