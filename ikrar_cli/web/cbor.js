/* ikrar offline verifier, part 1 of 3: Base45 and CBOR decoded exactly as the Python reference
 * (ikrar_cli/base45.py, cbor2 + re-encoding) decodes them. No network, no third-party code.
 * The page inlines cbor.js, verify.js and page.js in this order (ikrar_cli/webverifier.py). */
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


  const api = { MAX_TEXT, PREFIX, ReceiptError, TWO64, b45decode, concat, decimalValue, decodeCbor, encBytes, fail, fromB64, fromHex, head, hex, intKeys, isDecimalChar, isDigitChar, mapGet, mapKeysAre, numEquals, pyIsDigit, pyLen, utf8 };
  root.IkrarCbor = api;
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
})(typeof globalThis !== 'undefined' ? globalThis : this);
