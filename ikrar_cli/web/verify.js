/* ikrar offline verifier: decodes IKR1 receipts and checks them against the embedded, signed
 * trust bundle, exactly as ikrar_cli/verify.py does (same checks, same order, same reason codes).
 * No network, no third-party code. Specification: docs/receipt-format.md, docs/web-verifier.md.
 * The same file runs in the page and under Node (tests/js/verify.test.mjs). */
(function (root) {
  'use strict';

  // ------------------------------------------------------------------------------------
  // Small helpers
  // ------------------------------------------------------------------------------------

  const PREFIX = 'IKR1:';
  const MAX_TEXT = 4096;
  const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
  const TWO64 = 1n << 64n;

  class ReceiptError extends Error {
    constructor(code) {
      super(code);
      this.code = code;
    }
  }
  const fail = (code) => {
    throw new ReceiptError(code);
  };

  const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');
  const fromHex = (s) => {
    if (typeof s !== 'string' || s.length % 2 || /[^0-9a-fA-F]/.test(s)) throw new Error('hex');
    const out = new Uint8Array(s.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
    return out;
  };
  const fromB64 = (s) => {
    if (typeof s !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4) throw new Error('base64');
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  };
  const concat = (parts) => {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  const equalBytes = (a, b) => {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  // Python's len() counts code points
  const pyLen = (s) => Array.from(s).length;

  // Python str.isdigit(): Unicode Numeric_Type Decimal (\p{Nd}) or Digit (the list below, Unicode 14)
  const DIGIT_NOT_DECIMAL =
    /[\u{B2}-\u{B3}\u{B9}\u{1369}-\u{1371}\u{19DA}\u{2070}\u{2074}-\u{2079}\u{2080}-\u{2089}\u{2460}-\u{2468}\u{2474}-\u{247C}\u{2488}-\u{2490}\u{24EA}\u{24F5}-\u{24FD}\u{24FF}\u{2776}-\u{277E}\u{2780}-\u{2788}\u{278A}-\u{2792}\u{10A40}-\u{10A43}\u{10E60}-\u{10E68}\u{11052}-\u{1105A}\u{1F100}-\u{1F10A}]/u;
  const isDecimalChar = (ch) => /^\p{Nd}$/u.test(ch);
  const isDigitChar = (ch) => isDecimalChar(ch) || DIGIT_NOT_DECIMAL.test(ch);
  const pyIsDigit = (s) => s.length > 0 && Array.from(s).every(isDigitChar);
  // Python int() of a string of decimal digits (any script): each \p{Nd} run starts at its zero
  function decimalValue(ch) {
    let cp = ch.codePointAt(0);
    let run = 0;
    while (isDecimalChar(String.fromCodePoint(cp - 1))) {
      cp -= 1;
      run += 1;
    }
    return run % 10;
  }

  // ------------------------------------------------------------------------------------
  // Base45 (RFC 9285), strict like ikrar_cli/base45.py
  // ------------------------------------------------------------------------------------

  function b45decode(text) {
    if (text.length % 3 === 1) fail('malformed');
    const vals = [];
    for (const ch of text) {
      const i = ALPHABET.indexOf(ch);
      if (i < 0 || ch.length !== 1) fail('malformed');
      vals.push(i);
    }
    const out = [];
    const full = vals.length - (vals.length % 3);
    for (let i = 0; i < full; i += 3) {
      const n = vals[i] + 45 * vals[i + 1] + 2025 * vals[i + 2];
      if (n > 0xffff) fail('malformed');
      out.push(n >> 8, n & 0xff);
    }
    if (vals.length % 3 === 2) {
      const n = vals[vals.length - 2] + 45 * vals[vals.length - 1];
      if (n > 0xff) fail('malformed');
      out.push(n);
    }
    return Uint8Array.from(out);
  }

  // ------------------------------------------------------------------------------------
  // CBOR, decoded the way the Python reference (cbor2) decodes it, then re-encoded
  // deterministically (RFC 8949 §4.2.1 as cbor2's canonical mode writes it): a decoding
  // error is "malformed"; trailing bytes or a different re-encoding is "non_canonical".
  // Nodes: {k: 'int'|'bool'|'float'|'null'|'undef'|'simple'|'bytes'|'text'|'array'|'map'|
  // 'tag'|'foreign', v, enc (canonical re-encoding), id (Python equality/hash identity)}.
  // ------------------------------------------------------------------------------------

  class CborError extends Error {}

  function head(major, n) {
    n = BigInt(n);
    const m = major << 5;
    if (n < 24n) return Uint8Array.of(m | Number(n));
    if (n < 0x100n) return Uint8Array.of(m | 24, Number(n));
    if (n < 0x10000n) return Uint8Array.of(m | 25, Number(n >> 8n), Number(n & 0xffn));
    const size = n < 0x100000000n ? 4 : 8;
    const out = new Uint8Array(1 + size);
    out[0] = m | (size === 4 ? 26 : 27);
    for (let i = size; i >= 1; i--) {
      out[i] = Number(n & 0xffn);
      n >>= 8n;
    }
    return out;
  }

  function bigBytes(n) {
    const out = [];
    while (n > 0n) {
      out.unshift(Number(n & 0xffn));
      n >>= 8n;
    }
    return Uint8Array.from(out);
  }

  function encInt(v) {
    if (v >= 0n) return v < TWO64 ? head(0, v) : concat([head(6, 2), encBytes(bigBytes(v))]);
    const n = -1n - v;
    return n < TWO64 ? head(1, n) : concat([head(6, 3), encBytes(bigBytes(n))]);
  }
  const encBytes = (u8) => concat([head(2, u8.length), u8]);
  const utf8 = (s) => new TextEncoder().encode(s);

  function f16ToNumber(h) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const f = h & 0x3ff;
    if (e === 0) return s * f * 2 ** -24;
    if (e === 31) return f ? NaN : s * Infinity;
    return s * (1 + f / 1024) * 2 ** (e - 15);
  }

  // the half-precision bits of x if x is exactly representable, else null
  function halfBits(x) {
    if (x === 0) return Object.is(x, -0) ? 0x8000 : 0;
    const sign = x < 0 ? 0x8000 : 0;
    const a = Math.abs(x);
    if (a > 65504) return null;
    if (a < 2 ** -14) {
      const f = a * 2 ** 24;
      return Number.isInteger(f) ? sign | f : null;
    }
    const e = Math.floor(Math.log2(a));
    let exp = e;
    if (2 ** exp > a) exp -= 1;
    if (2 ** (exp + 1) <= a) exp += 1;
    const frac = a / 2 ** exp - 1;
    const f = frac * 1024;
    if (!Number.isInteger(f)) return null;
    return sign | ((exp + 15) << 10) | f;
  }

  function encFloat(x) {
    if (Number.isNaN(x)) return Uint8Array.of(0xf9, 0x7e, 0x00);
    if (x === Infinity) return Uint8Array.of(0xf9, 0x7c, 0x00);
    if (x === -Infinity) return Uint8Array.of(0xf9, 0xfc, 0x00);
    const h = halfBits(x);
    if (h !== null) return Uint8Array.of(0xf9, h >> 8, h & 0xff);
    const dv = new DataView(new ArrayBuffer(9));
    if (Math.fround(x) === x) {
      dv.setUint8(0, 0xfa);
      dv.setFloat32(1, x);
      return new Uint8Array(dv.buffer, 0, 5);
    }
    dv.setUint8(0, 0xfb);
    dv.setFloat64(1, x);
    return new Uint8Array(dv.buffer);
  }

  // canonical order of map keys / set members in cbor2: shorter encoding first, then bytewise
  function keyOrder(a, b) {
    if (a.length !== b.length) return a.length - b.length;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return 0;
  }

  let nanCounter = 0;
  function numId(v) {
    return 'n:' + v.toString();
  }

  function node(k, v, enc, id, extra) {
    return Object.assign({ k, v, enc, id }, extra || {});
  }
  const intNode = (v) => node('int', v, encInt(v), numId(v));

  function floatNode(x) {
    let id;
    if (Number.isNaN(x)) id = 'nan:' + nanCounter++;
    else if (Number.isInteger(x)) id = numId(BigInt(x));
    else id = 'f:' + x;
    return node('float', x, encFloat(x), id);
  }

  function mapNode(pairs) {
    // Python dict semantics: an equal key keeps its first key object, the later value wins
    const index = new Map();
    const entries = [];
    for (const [key, val] of pairs) {
      if (index.has(key.id)) entries[index.get(key.id)][1] = val;
      else {
        index.set(key.id, entries.length);
        entries.push([key, val]);
      }
    }
    const sorted = entries.slice().sort((x, y) => keyOrder(x[0].enc, y[0].enc));
    const parts = [head(5, entries.length)];
    for (const [key, val] of sorted) parts.push(key.enc, val.enc);
    const ids = sorted.map(([key, val]) => key.id + '=' + val.id).join(',');
    return node('map', entries, concat(parts), 'm:{' + ids + '}');
  }

  function arrayNode(items) {
    return node(
      'array',
      items,
      concat([head(4, items.length), ...items.map((i) => i.enc)]),
      'a:[' + items.map((i) => i.id).join(',') + ']',
    );
  }

  const ISO_CANONICAL = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{6})?(Z|[+-]\d{2}:\d{2})$/;
  const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

  function decodeCbor(bytes) {
    let pos = 0;
    const state = { diff: false };
    const need = (n) => {
      if (pos + n > bytes.length) throw new CborError('eof');
    };
    const u8 = () => {
      need(1);
      return bytes[pos++];
    };
    function arg(ai) {
      if (ai < 24) return BigInt(ai);
      const size = { 24: 1, 25: 2, 26: 4, 27: 8 }[ai];
      if (!size) throw new CborError('reserved');
      need(size);
      let n = 0n;
      for (let i = 0; i < size; i++) n = (n << 8n) | BigInt(bytes[pos++]);
      return n;
    }
    function chunks(major) {
      const parts = [];
      for (;;) {
        const b = u8();
        if (b === 0xff) break;
        if (b >> 5 !== major || (b & 31) === 31) throw new CborError('chunk');
        const n = arg(b & 31);
        if (n > BigInt(bytes.length)) throw new CborError('eof');
        need(Number(n));
        parts.push(bytes.slice(pos, pos + Number(n)));
        pos += Number(n);
      }
      return parts;
    }
    const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const text = (u) => {
      try {
        return dec.decode(u);
      } catch (e) {
        throw new CborError('utf8');
      }
    };
    const textNode = (s) => node('text', s, concat([head(3, utf8(s).length), utf8(s)]), 't:' + s);
    const bytesNode = (b) => node('bytes', b, encBytes(b), 'b:' + hex(b));

    function item() {
      const b = u8();
      const major = b >> 5;
      const ai = b & 31;
      if (ai === 31) {
        if (major === 2) {
          state.diff = true;
          return bytesNode(concat(chunks(2)));
        }
        if (major === 3) {
          state.diff = true;
          return textNode(chunks(3).map(text).join(''));
        }
        if (major === 4) {
          state.diff = true;
          const items = [];
          for (;;) {
            need(1);
            if (bytes[pos] === 0xff) {
              pos++;
              break;
            }
            items.push(item());
          }
          return arrayNode(items);
        }
        if (major === 5) {
          state.diff = true;
          const pairs = [];
          for (;;) {
            need(1);
            if (bytes[pos] === 0xff) {
              pos++;
              break;
            }
            const key = item();
            pairs.push([key, item()]);
          }
          return mapNode(pairs);
        }
        throw new CborError('indefinite');
      }
      if (major === 7) return simple(ai);
      const n = arg(ai);
      switch (major) {
        case 0:
          return intNode(n);
        case 1:
          return intNode(-1n - n);
        case 2:
        case 3: {
          if (n > BigInt(bytes.length)) throw new CborError('eof');
          need(Number(n));
          const raw = bytes.slice(pos, pos + Number(n));
          pos += Number(n);
          return major === 2 ? bytesNode(raw) : textNode(text(raw));
        }
        case 4: {
          if (n > BigInt(bytes.length)) throw new CborError('eof');
          const items = [];
          for (let i = 0n; i < n; i++) items.push(item());
          return arrayNode(items);
        }
        case 5: {
          if (n > BigInt(bytes.length)) throw new CborError('eof');
          const pairs = [];
          for (let i = 0n; i < n; i++) {
            const key = item();
            pairs.push([key, item()]);
          }
          return mapNode(pairs);
        }
        default:
          return tagged(n);
      }
    }

    function simple(ai) {
      if (ai < 20) return node('simple', ai, Uint8Array.of(0xe0 | ai), 's:' + ai);
      if (ai === 20) return node('bool', false, Uint8Array.of(0xf4), numId(0n));
      if (ai === 21) return node('bool', true, Uint8Array.of(0xf5), numId(1n));
      if (ai === 22) return node('null', null, Uint8Array.of(0xf6), 'null');
      if (ai === 23) return node('undef', null, Uint8Array.of(0xf7), 'undef');
      if (ai === 24) {
        const v = u8();
        if (v < 32) throw new CborError('simple');
        return node('simple', v, Uint8Array.of(0xf8, v), 's:' + v);
      }
      const dv = new DataView(bytes.buffer, bytes.byteOffset);
      if (ai === 25) {
        need(2);
        const x = f16ToNumber(dv.getUint16(pos));
        pos += 2;
        return floatNode(x);
      }
      if (ai === 26) {
        need(4);
        const x = dv.getFloat32(pos);
        pos += 4;
        return floatNode(x);
      }
      if (ai === 27) {
        need(8);
        const x = dv.getFloat64(pos);
        pos += 8;
        return floatNode(x);
      }
      throw new CborError('special'); // 28-30 reserved, 31 break where an item is expected
    }

    const isInt = (x) => x.k === 'int';
    const pairOfInts = (x) => x.k === 'array' && x.v.length === 2 && x.v.every(isInt);
    function foreign(enc, id, extra) {
      return node('foreign', null, enc, 'x:' + (id || hex(enc)), extra);
    }

    // cbor2's semantic tags: what it decodes them to decides whether the re-encoding matches
    function tagged(tag) {
      const t = Number(tag > 0xffffffffn ? -1n : tag);
      const content = item();
      const tagEnc = (c) => concat([head(6, tag), c.enc]);
      switch (t) {
        case 2:
        case 3: {
          if (content.k !== 'bytes') throw new CborError('bignum');
          let n = 0n;
          for (const x of content.v) n = (n << 8n) | BigInt(x);
          return intNode(t === 2 ? n : -1n - n);
        }
        case 0: {
          // cbor2 re-encodes a datetime as isoformat: 'YYYY-MM-DDTHH:MM:SS[.ffffff]' + 'Z' or '±HH:MM'
          if (content.k !== 'text' || !DATETIME.test(content.v)) throw new CborError('datetime');
          const m = ISO_CANONICAL.exec(content.v);
          if (!m || m[2] === '.000000' || m[3] === '+00:00' || m[3] === '-00:00') state.diff = true;
          return foreign(tagEnc(content));
        }
        case 1:
          if (content.k !== 'int' && content.k !== 'float') throw new CborError('epoch');
          if (content.k === 'float' && !Number.isFinite(content.v)) throw new CborError('epoch');
          state.diff = true;
          return foreign(tagEnc(content));
        case 100:
          if (content.k !== 'int') throw new CborError('date');
          state.diff = true;
          return foreign(tagEnc(content));
        case 1004:
          if (content.k !== 'text' || !/^\d{4}-\d{2}-\d{2}$/.test(content.v)) throw new CborError('date');
          return foreign(tagEnc(content));
        case 4: {
          if (!pairOfInts(content)) throw new CborError('decimal');
          const [e, m] = content.v;
          let num;
          if (e.v >= 0n) num = m.v * 10n ** e.v;
          else if (-e.v < 400n && m.v % 10n ** -e.v === 0n) num = m.v / 10n ** -e.v;
          const f = foreign(tagEnc(content), num !== undefined ? numId(num) : null);
          f.num = num;
          return f;
        }
        case 5:
          if (!pairOfInts(content)) throw new CborError('bigfloat');
          state.diff = true;
          return foreign(tagEnc(content));
        case 30: {
          if (!pairOfInts(content) || content.v[1].v === 0n) throw new CborError('rational');
          let [p, q] = [content.v[0].v, content.v[1].v];
          if (q < 0n) [p, q] = [-p, -q];
          const gcd = (a, b) => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));
          const g = gcd(p, q) || 1n;
          [p, q] = [p / g, q / g];
          const enc = concat([head(6, 30n), head(4, 2), encInt(p), encInt(q)]);
          const f = foreign(enc, q === 1n ? numId(p) : 'q:' + p + '/' + q);
          if (q === 1n) f.num = p;
          return f;
        }
        case 25:
        case 29:
        case 36:
          throw new CborError('unsupported');
        case 28:
        case 256:
        case 55799:
          state.diff = true;
          return content;
        case 35:
          if (content.k !== 'text' && content.k !== 'bytes') throw new CborError('regex');
          return foreign(tagEnc(content));
        case 37:
          if (content.k !== 'bytes' || content.v.length !== 16) throw new CborError('uuid');
          return foreign(tagEnc(content));
        case 52:
          if (content.k !== 'bytes' || content.v.length !== 4) throw new CborError('ipv4');
          return foreign(tagEnc(content));
        case 54:
          if (content.k !== 'bytes' || content.v.length !== 16) throw new CborError('ipv6');
          return foreign(tagEnc(content));
        case 260:
          if (content.k !== 'bytes' || (content.v.length !== 4 && content.v.length !== 16))
            throw new CborError('ip');
          state.diff = true;
          return foreign(tagEnc(content));
        case 261:
          if (content.k !== 'map') throw new CborError('network');
          state.diff = true;
          return foreign(tagEnc(content));
        case 258: {
          if (content.k !== 'array') throw new CborError('set');
          const seen = new Map();
          for (const x of content.v) if (!seen.has(x.id)) seen.set(x.id, x);
          const members = Array.from(seen.values()).sort((a, b) => keyOrder(a.enc, b.enc));
          const enc = concat([head(6, 258n), head(4, members.length), ...members.map((m) => m.enc)]);
          return foreign(enc, 'set:' + members.map((m) => m.id).join(','));
        }
        default:
          return node('tag', content, tagEnc(content), 'tag:' + tag + ':' + content.id);
      }
    }

    let value;
    try {
      value = item();
    } catch (e) {
      if (e instanceof CborError || e instanceof RangeError) fail('malformed');
      throw e;
    }
    if (pos !== bytes.length) fail('non_canonical');
    if (state.diff || !equalBytes(value.enc, bytes)) fail('non_canonical');
    return value;
  }

  // Python equality for the few comparisons the decoder makes (1 == True == 1.0)
  function numEquals(n, x) {
    x = BigInt(x);
    if (n.k === 'int') return n.v === x;
    if (n.k === 'bool') return (n.v ? 1n : 0n) === x;
    if (n.k === 'float') return n.v === Number(x);
    if (n.k === 'foreign') return n.num !== undefined && n.num === x;
    return false;
  }
  const mapGet = (m, key) => {
    const e = m.v.find(([k]) => k.id === numId(BigInt(key)));
    return e ? e[1] : undefined;
  };
  // map keys must be plain integers, as in Python's _int_keys (true may not stand for 1)
  const intKeys = (m) => m.v.every(([k]) => k.k === 'int');
  const mapKeysAre = (m, allowed, required) => {
    const ids = m.v.map(([k]) => k.id);
    return required.every((r) => ids.includes(numId(BigInt(r)))) && ids.every((id) => allowed.some((a) => id === numId(BigInt(a))));
  };

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
    hex,
  };
  root.IkrarVerify = api;
  if (typeof module !== 'undefined' && module.exports) module.exports = api;

  // ------------------------------------------------------------------------------------
  // Page strings: every one in Bahasa Indonesia and English. The reason sentences come from
  // the CLI's catalogues, embedded at build time (data.messages).
  // ------------------------------------------------------------------------------------

  const STRINGS = {
    id: {
      title: 'Pemeriksa Tanda Terima Ikrar Netralitas ASN',
      other_language: 'English',
      input_label: 'Teks tanda terima',
      placeholder: 'Tempel teks tanda terima (IKR1:…) atau tautannya di sini',
      check: 'Periksa',
      scan: 'Pindai QR',
      stop_scan: 'Berhenti memindai',
      scanning: 'Arahkan kamera ke kode QR pada tanda terima.',
      camera_failed: 'Kamera tidak dapat dibuka. Tempel teks tanda terima di kotak di atas.',
      no_camera_scan: 'Peramban ini tidak dapat memindai QR; tempel teks tanda terima di kotak di atas.',
      empty_input: 'Kotak masih kosong: tempel teks tanda terima terlebih dahulu.',
      idle: 'Pindai kode QR atau tempel teks tanda terima untuk memeriksanya.',
      checking: 'Memeriksa…',
      valid: 'SAH',
      invalid: 'TIDAK SAH',
      valid_sub: 'Tanda terima asli dan berlaku',
      invalid_sub: 'Jangan terima tanda terima ini',
      cannot_check: 'TIDAK DAPAT DIPERIKSA',
      warning: 'Peringatan',
      no_ed25519:
        'Peramban ini tidak mendukung tanda tangan Ed25519, jadi tanda terima tidak dapat diperiksa di sini. ' +
        'Gunakan versi terbaru Chrome, Edge, Firefox atau Safari, atau perintah "ikrar verify".',
      no_webcrypto:
        'Peramban ini tidak menyediakan pemeriksaan kriptografi untuk halaman ini. Buka halaman melalui https ' +
        'atau sebagai berkas di perangkat, dengan peramban versi terbaru.',
      page_altered:
        'Halaman ini telah diubah: bundel kepercayaan di dalamnya tidak cocok dengan tanda tangan otoritas. ' +
        'Jangan gunakan halaman ini; minta salinan baru dari instansi.',
      officer: 'Nama',
      officer_id: 'Nomor identitas',
      unit: 'Unit kerja',
      pledge: 'Ikrar',
      time: 'Waktu',
      terminal: 'Terminal',
      method: 'Cara',
      session: 'Sesi apel',
      ledger_index: 'Nomor di log',
      key: 'Kunci terminal',
      pledge_ack: 'Butir ikrar yang diakui:',
      claimed: 'Isi yang terbaca (tidak terbukti)',
      no_name: '(nama tidak dicantumkan)',
      id_nip: 'NIP',
      id_nippppk: 'NI PPPK',
      id_nik: 'NIK',
      id_internal: 'ID internal',
      bundle_info: 'Bundel kepercayaan {institution}, nomor seri {serial}, diterbitkan {issued}, berlaku sampai {until}.',
      authority: 'Sidik jari otoritas: {fp}',
      offline_note:
        'Pemeriksaan berjalan sepenuhnya di peramban ini, tanpa internet; tidak ada data yang dikirim. ikrar {version}.',
    },
    en: {
      title: "Civil Servants' Neutrality Pledge Receipt Checker",
      other_language: 'Bahasa Indonesia',
      input_label: 'Receipt text',
      placeholder: 'Paste the receipt text (IKR1:…) or its link here',
      check: 'Check',
      scan: 'Scan QR',
      stop_scan: 'Stop scanning',
      scanning: 'Point the camera at the QR code on the receipt.',
      camera_failed: 'The camera could not be opened. Paste the receipt text into the box above.',
      no_camera_scan: 'This browser cannot scan QR codes; paste the receipt text into the box above.',
      empty_input: 'The box is empty: paste the receipt text first.',
      idle: 'Scan the QR code or paste the receipt text to check it.',
      checking: 'Checking…',
      valid: 'VALID',
      invalid: 'INVALID',
      valid_sub: 'Genuine and valid receipt',
      invalid_sub: 'Do not accept this receipt',
      cannot_check: 'CANNOT CHECK',
      warning: 'Warning',
      no_ed25519:
        'This browser does not support Ed25519 signatures, so receipts cannot be checked here. ' +
        'Use a current Chrome, Edge, Firefox or Safari, or the command "ikrar verify".',
      no_webcrypto:
        'This browser offers no cryptographic checks to this page. Open the page over https or as a file ' +
        'on the device, in a current browser.',
      page_altered:
        "This page was altered: its trust bundle does not match the authority's signature. " +
        'Do not use this page; ask the institution for a fresh copy.',
      officer: 'Name',
      officer_id: 'Identity number',
      unit: 'Unit',
      pledge: 'Pledge',
      time: 'Time',
      terminal: 'Terminal',
      method: 'Method',
      session: 'Apel session',
      ledger_index: 'Log index',
      key: 'Terminal key',
      pledge_ack: 'Points acknowledged:',
      claimed: 'Contents as read (not proven)',
      no_name: '(name not included)',
      id_nip: 'NIP',
      id_nippppk: 'NI PPPK',
      id_nik: 'NIK',
      id_internal: 'internal ID',
      bundle_info: 'Trust bundle of {institution}, serial {serial}, issued {issued}, valid until {until}.',
      authority: 'Authority fingerprint: {fp}',
      offline_note: 'Checks run entirely in this browser, offline; no data is sent anywhere. ikrar {version}.',
    },
  };
  api.STRINGS = STRINGS;

  // ------------------------------------------------------------------------------------
  // The page (runs only in a browser)
  // ------------------------------------------------------------------------------------

  // RFC 8032 test vector 1 public key: only used to ask the browser whether it knows Ed25519
  const PROBE_KEY = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');

  function startPage(doc) {
    const $ = (id) => doc.getElementById(id);
    const data = JSON.parse($('ikrar-data').textContent);
    const params = new URLSearchParams(root.location.search);
    let lang = params.get('lang');
    if (lang !== 'id' && lang !== 'en') {
      try {
        lang = root.localStorage.getItem('ikrar-lang');
      } catch (e) {
        lang = null;
      }
    }
    if (lang !== 'id' && lang !== 'en') lang = 'id';
    let trust = null;
    let current = null; // {state, result?, problem?}
    let scanning = null;
    const t = (key, p) => fill(STRINGS[lang][key], p || {});

    function el(tag, cls, text) {
      const e = doc.createElement(tag);
      if (cls) e.className = cls;
      if (text !== undefined && text !== null) e.textContent = String(text);
      return e;
    }

    function icon(kind) {
      const ns = 'http://www.w3.org/2000/svg';
      const svg = doc.createElementNS(ns, 'svg');
      svg.setAttribute('viewBox', '0 0 48 48');
      const circle = doc.createElementNS(ns, 'circle');
      circle.setAttribute('cx', '24');
      circle.setAttribute('cy', '24');
      circle.setAttribute('r', '22');
      circle.setAttribute('fill', '#fff');
      const path = doc.createElementNS(ns, 'path');
      path.setAttribute('fill', 'none');
      path.setAttribute('stroke-width', '5');
      path.setAttribute('stroke-linecap', 'round');
      path.setAttribute('stroke-linejoin', 'round');
      if (kind === 'valid') {
        path.setAttribute('stroke', '#0b6b3a');
        path.setAttribute('d', 'M13 25l7 7 15-16');
      } else if (kind === 'invalid') {
        path.setAttribute('stroke', '#b42318');
        path.setAttribute('d', 'M16 16l16 16M32 16L16 32');
      } else {
        path.setAttribute('stroke', '#7a2e0e');
        path.setAttribute('d', 'M24 12v15M24 35v.5');
      }
      svg.append(circle, path);
      return svg;
    }

    function facts(d, points) {
      const dl = el('dl', 'facts');
      const row = (label, value, cls) => {
        if (value === null || value === undefined || value === '') return;
        dl.append(el('dt', '', label), el('dd', cls || '', value));
      };
      row(t('officer'), d.officer_name || t('no_name'), d.officer_name ? 'big' : '');
      row(t('officer_id'), `${d.officer_id} (${t('id_' + d.id_type)})`, 'mono');
      row(t('unit'), d.unit_name ? `${d.unit_name} (${d.unit})` : d.unit);
      row(t('pledge'), d.pledge_title ? `${d.pledge_title} — ${d.pledge}` : d.pledge);
      row(t('time'), d.time_local);
      row(t('terminal'), d.terminal || '—');
      row(t('method'), data.messages[lang].methods[d.method]);
      row(t('session'), d.session);
      row(t('ledger_index'), '#' + d.ledger_index);
      row(t('key'), d.kid, 'mono');
      const out = [dl];
      if (points) {
        const box = el('section', 'pledge');
        box.append(el('h2', '', points.title), el('p', 'ack', t('pledge_ack')));
        if (points.opening) box.append(el('p', '', points.opening));
        const ol = el('ol');
        for (const p of points.points) ol.append(el('li', '', p));
        box.append(ol);
        if (points.closing) box.append(el('p', 'closing', points.closing));
        out.push(box);
      }
      return out;
    }

    function render() {
      doc.documentElement.lang = lang;
      doc.title = t('title');
      for (const e of doc.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
      $('receipt').placeholder = t('placeholder');
      $('lang').textContent = t('other_language');
      $('lang').lang = lang === 'id' ? 'en' : 'id';
      $('lang').hidden = false;
      $('institution').textContent = data.institution;
      if (scanning) $('scan').textContent = t('stop_scan');
      if (trust) {
        $('bundle-info').textContent = t('bundle_info', {
          institution: trust.institution,
          serial: trust.serial,
          issued: formatLocal(trust.issuedAt, 'Asia/Jakarta'),
          until: formatLocal(trust.validUntil, 'Asia/Jakarta'),
        });
      }
      $('authority').textContent = t('authority', { fp: data.pins[0] });
      $('offline-note').textContent = t('offline_note', { version: data.ikrar_version });
      const box = $('result');
      const word = $('verdict-word');
      const sub = $('verdict-sub');
      const iconBox = $('verdict-icon');
      const reason = $('reason');
      const warnings = $('warnings');
      const details = $('details');
      iconBox.replaceChildren();
      warnings.replaceChildren();
      details.replaceChildren();
      reason.textContent = '';
      sub.textContent = '';
      const c = current || { state: 'idle' };
      box.dataset.state = c.state;
      box.dataset.reason = c.result ? c.result.reason : c.problem || '';
      if (c.state === 'idle' || c.state === 'checking') {
        word.textContent = t(c.state);
        return;
      }
      if (c.state === 'error' || c.state === 'unsupported') {
        iconBox.append(icon('error'));
        word.textContent = t('cannot_check');
        reason.textContent = t(c.problem);
        return;
      }
      const r = c.result;
      const m = data.messages[lang];
      iconBox.append(icon(r.valid ? 'valid' : 'invalid'));
      word.textContent = t(r.valid ? 'valid' : 'invalid');
      sub.textContent = t(r.valid ? 'valid_sub' : 'invalid_sub');
      reason.textContent = reasonMessage(m, r.reason, r.params);
      for (const w of r.warnings) {
        const n = el('p', 'notice notice-warn');
        n.append(el('strong', '', t('warning') + ': '), doc.createTextNode(fill(m.stale_bundle, w)));
        warnings.append(n);
      }
      if (r.receipt && r.valid) details.append(...facts(r.receipt, r.points));
      else if (r.receipt) {
        const d = el('details', 'claimed');
        d.append(el('summary', '', t('claimed')), ...facts(r.receipt, null));
        details.append(d);
      }
    }

    let serial = 0;
    async function check(text) {
      if (!trust) return;
      const mine = ++serial;
      current = { state: 'checking' };
      render();
      const result = await verify(trust, text, Math.floor(Date.now() / 1000), null);
      if (mine !== serial) return;
      current = { state: result.valid ? 'valid' : 'invalid', result };
      render();
    }

    function fromHash() {
      const h = root.location.hash;
      if (!h || h.length < 2) return false;
      const text = h.slice(1);
      const shown = candidates('#' + text)[0];
      $('receipt').value = shown;
      check('#' + text);
      return true;
    }

    function checkBox() {
      const text = $('receipt').value.replace(/^[\r\n\t]+|[\r\n\t]+$/g, '');
      if (!text) {
        $('input-hint').textContent = t('empty_input');
        return;
      }
      $('input-hint').textContent = '';
      check(text);
    }

    async function stopScan() {
      if (!scanning) return;
      const s = scanning;
      scanning = null;
      s.stream.getTracks().forEach((tr) => tr.stop());
      $('camera').hidden = true;
      $('scan').textContent = t('scan');
    }

    async function startScan() {
      if (scanning) return stopScan();
      let stream;
      try {
        stream = await root.navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      } catch (e) {
        $('input-hint').textContent = t('camera_failed');
        return;
      }
      const detector = new root.BarcodeDetector({ formats: ['qr_code'] });
      const video = $('video');
      video.srcObject = stream;
      scanning = { stream };
      $('camera').hidden = false;
      $('scan').textContent = t('stop_scan');
      $('input-hint').textContent = '';
      try {
        await video.play();
      } catch (e) {
        /* autoplay refusal still leaves frames to read */
      }
      const tick = async () => {
        if (!scanning) return;
        try {
          const codes = await detector.detect(video);
          const hit = codes.find((code) => code.rawValue);
          if (hit) {
            await stopScan();
            $('receipt').value = candidates(hit.rawValue)[0];
            check(hit.rawValue);
            return;
          }
        } catch (e) {
          /* the video may not have a frame yet */
        }
        root.setTimeout(tick, 150);
      };
      tick();
    }

    $('lang').addEventListener('click', () => {
      lang = lang === 'id' ? 'en' : 'id';
      try {
        root.localStorage.setItem('ikrar-lang', lang);
      } catch (e) {
        /* private mode: the choice lasts for this visit */
      }
      render();
    });

    async function init() {
      render();
      if (!subtle()) {
        current = { state: 'unsupported', problem: 'no_webcrypto' };
        return render();
      }
      if (!(await ed25519Supported(PROBE_KEY))) {
        current = { state: 'unsupported', problem: 'no_ed25519' };
        return render();
      }
      try {
        trust = await loadBundle(fromB64(data.bundle), data.pins);
      } catch (e) {
        current = { state: 'error', problem: 'page_altered' };
        return render();
      }
      $('input-card').hidden = false;
      $('check').addEventListener('click', checkBox);
      $('receipt').addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && !e.shiftKey) {
          e.preventDefault();
          checkBox();
        }
      });
      $('receipt').addEventListener('paste', () => root.setTimeout(checkBox, 0));
      if ('BarcodeDetector' in root) {
        $('scan').hidden = false;
        $('scan').addEventListener('click', startScan);
      }
      root.addEventListener('hashchange', fromHash);
      render();
      fromHash();
    }
    init();
  }

  if (typeof document !== 'undefined' && document.getElementById('ikrar-data')) startPage(document);
})(typeof globalThis !== 'undefined' ? globalThis : this);
