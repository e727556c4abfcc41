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
  // CBOR: the receipt's subset, decoded as docs/receipt-format.md §4 and ikrar_cli/cbor_strict.py
  // say. Integers (BigInt), byte strings (Uint8Array), text (string), arrays, maps with integer
  // keys (Map of BigInt), definite lengths, at most 8 deep. Tags, floats, simple values,
  // indefinite or reserved lengths, truncation, bad UTF-8, a non-integer map key: 'malformed'
  // (thrown). A longer head than needed, keys not strictly ascending by their encodings, or
  // trailing bytes: noted in nonCanonical (the caller reports it only if nothing is malformed);
  // a repeated key keeps its first value.
  // ------------------------------------------------------------------------------------

  const MAX_DEPTH = 8;

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
  const encBytes = (u8) => concat([head(2, u8.length), u8]);
  const utf8 = (s) => new TextEncoder().encode(s);

  function lessOrEqual(a, b) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i];
    return a.length <= b.length;
  }

  function decodeCbor(bytes) {
    let pos = 0;
    let nonCanonical = false;
    const dec = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const take = (n) => {
      if (n > BigInt(bytes.length - pos)) fail('malformed');
      const out = bytes.slice(pos, pos + Number(n));
      pos += Number(n);
      return out;
    };
    function readHead() {
      const b = take(1n)[0];
      const major = b >> 5;
      const ai = b & 31;
      if (major === 6 || major === 7) fail('malformed'); // tag, float, simple value
      if (ai < 24) return [major, BigInt(ai)];
      if (ai > 27) fail('malformed'); // reserved or indefinite length
      const size = 1 << (ai - 24);
      let n = 0n;
      for (const x of take(BigInt(size))) n = (n << 8n) | BigInt(x);
      if (n < (size === 1 ? 24n : 1n << BigInt(4 * size))) nonCanonical = true;
      return [major, n];
    }
    function item(depth) {
      if (depth > MAX_DEPTH) fail('malformed');
      const [major, n] = readHead();
      if (major === 0) return n;
      if (major === 1) return -1n - n;
      if (major === 2) return take(n);
      if (major === 3) {
        const raw = take(n);
        try {
          return dec.decode(raw);
        } catch (e) {
          fail('malformed');
        }
      }
      if (n > BigInt(bytes.length - pos)) fail('malformed');
      if (major === 4) {
        const out = [];
        for (let i = 0n; i < n; i++) out.push(item(depth + 1));
        return out;
      }
      const out = new Map();
      let last = null;
      for (let i = 0n; i < n; i++) {
        const start = pos;
        const key = item(depth + 1);
        if (typeof key !== 'bigint') fail('malformed');
        const enc = bytes.slice(start, pos);
        const value = item(depth + 1);
        if (last !== null && lessOrEqual(enc, last)) nonCanonical = true;
        if (last === null || !lessOrEqual(enc, last)) last = enc;
        if (out.has(key)) nonCanonical = true;
        else out.set(key, value);
      }
      return out;
    }
    const value = item(0);
    if (pos !== bytes.length) nonCanonical = true;
    return { value, nonCanonical };
  }

  const isBytes = (x) => x instanceof Uint8Array;
  const isMap = (x) => x instanceof Map;

  const api = { MAX_TEXT, PREFIX, ReceiptError, TWO64, b45decode, concat, decodeCbor, encBytes, fail, fromB64, fromHex, head, hex, isBytes, isMap, pyLen, utf8 };
  root.IkrarCbor = api;
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
})(typeof globalThis !== 'undefined' ? globalThis : this);
