/* ikrar offline verifier, part 2 of 3: decodes IKR1 receipts and checks them against the
 * embedded, signed trust bundle, exactly as ikrar_cli/verify.py does (same checks, same order,
 * same reason codes). Specification: docs/receipt-format.md, docs/web-verifier.md.
 * Runs in the page and under Node (tests/js/verify.test.mjs). */
(function (root) {
  'use strict';
  const C = root.IkrarCbor || require('./cbor.js');
  const { MAX_TEXT, PREFIX, ReceiptError, TWO64, b45decode, concat, decimalValue, decodeCbor, encBytes, fail, fromB64, fromHex, head, hex, intKeys, isDecimalChar, isDigitChar, mapGet, mapKeysAre, numEquals, pyIsDigit, pyLen, utf8 } = C;

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

  function extractReceiptText(value) {
    if (value.includes('#') && !value.startsWith(PREFIX)) value = value.slice(value.lastIndexOf('#') + 1);
    return value;
  }

  function decodeReceipt(input) {
    if (typeof input !== 'string' || pyLen(input) > MAX_TEXT) fail('malformed');
    const text = extractReceiptText(input);
    if (!text.startsWith(PREFIX)) {
      const fourth = Array.from(text.slice(3))[0];
      if (text.slice(0, 3) === 'IKR' && fourth !== undefined && isDigitChar(fourth)) fail('unsupported_version');
      fail('malformed');
    }
    const cose = b45decode(text.slice(PREFIX.length));
    const arr = decodeCbor(cose);
    if (arr.k !== 'array' || arr.v.length !== 4) fail('malformed');
    const [protectedN, unprotected, payload, signature] = arr.v;
    if (unprotected.k !== 'map') fail('malformed');
    if (protectedN.k !== 'bytes' || payload.k !== 'bytes' || signature.k !== 'bytes') fail('malformed');
    if (unprotected.v.length !== 0) fail('non_canonical');
    if (signature.v.length !== 64) fail('malformed');
    const hdr = decodeCbor(protectedN.v);
    if (hdr.k !== 'map' || hdr.v.length !== 2 || !intKeys(hdr) || !mapKeysAre(hdr, [1, 4], [1, 4])) fail('malformed');
    const alg = mapGet(hdr, 1);
    const kid = mapGet(hdr, 4);
    if (alg.k !== 'int') fail('malformed'); // not true, not -19.0: one encoding only
    if (!numEquals(alg, -19) && !numEquals(alg, -8)) fail('unsupported_version');
    if (kid.k !== 'bytes' || kid.v.length !== 8) fail('malformed');
    const claims = parseClaims(decodeCbor(payload.v));
    return {
      text,
      kid: kid.v,
      alg: numEquals(alg, -19) ? -19 : -8,
      protected: protectedN.v,
      payload: payload.v,
      signature: signature.v,
      claims,
    };
  }

  function parseClaims(m) {
    const required = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13];
    if (m.k !== 'map' || !intKeys(m) || !mapKeysAre(m, required.concat([7]), required)) fail('malformed');
    if (mapGet(m, 1).k !== 'int') fail('malformed');
    if (!numEquals(mapGet(m, 1), 1)) fail('unsupported_version');
    const uint = (v) => {
      if (v.k !== 'int' || v.v < 0n) fail('malformed');
      return v.v;
    };
    const textClaim = (v) => {
      if (v.k !== 'text' || !v.v || pyLen(v.v) > 200) fail('malformed');
      return v.v;
    };
    const officer = mapGet(m, 5);
    let officerId;
    if (officer.k === 'int' && officer.v > 0n) officerId = officer.v.toString();
    else if (officer.k === 'text' && officer.v) {
      const s = officer.v;
      if (pyIsDigit(s) && s[0] !== '0') {
        const chars = Array.from(s);
        if (!chars.every(isDecimalChar)) fail('malformed'); // Python's int() refuses e.g. superscripts
        let n = 0n;
        for (const ch of chars) n = n * 10n + BigInt(decimalValue(ch));
        if (n < TWO64) fail('non_canonical'); // numeric ids must use the integer form
      }
      officerId = s;
    } else fail(officer.k !== 'text' ? 'malformed' : 'non_canonical');
    const digest = mapGet(m, 4);
    if (digest.k !== 'bytes' || digest.v.length !== 12) fail('malformed');
    const lookup = (table, v) => {
      const n = uint(v);
      const r = n < 100n ? table[Number(n)] : undefined;
      if (r === undefined) fail('malformed');
      return r;
    };
    const idType = lookup(ID_TYPES, mapGet(m, 6));
    const zone = lookup(ZONES, mapGet(m, 11));
    const method = lookup(METHODS, mapGet(m, 12));
    const nameN = mapGet(m, 7);
    const name = nameN !== undefined ? textClaim(nameN) : null;
    return {
      pledge_id: textClaim(mapGet(m, 2)),
      pledge_version: uint(mapGet(m, 3)),
      pledge_digest: digest.v,
      officer_id: officerId,
      id_type: idType,
      officer_name: name,
      unit: textClaim(mapGet(m, 8)),
      session: uint(mapGet(m, 9)),
      issued_at: uint(mapGet(m, 10)),
      zone,
      method,
      ledger_index: uint(mapGet(m, 13)),
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
    return {
      raw: b,
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
        error = e instanceof ReceiptError ? e.code : 'malformed'; // as Verifier.verify: never throws
      }
    }
    return { error };
  }

  async function verify(trust, input, nowSeconds, messages) {
    const warnings = [];
    if (nowSeconds > trust.validUntil)
      warnings.push({ code: 'stale_bundle', when: formatLocal(trust.validUntil, 'Asia/Jakarta') });
    const result = (valid, code, r, params) => ({
      valid,
      reason: code,
      params: params || {},
      warnings,
      receipt: r ? details(trust, r) : null,
      points: r ? pledgePoints(trust, r) : null,
      message: messages ? reasonMessage(messages, code, params || {}) : undefined,
      warningMessages: messages ? warnings.map((w) => fill(messages.stale_bundle, w)) : undefined,
    });
    let decoded;
    try {
      decoded = decodeAny(input);
    } catch (e) {
      decoded = { error: 'malformed' };
    }
    if (decoded.error) return result(false, decoded.error, null);
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
