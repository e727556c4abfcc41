/* ikrar offline verifier, part 3 of 3: the page itself (strings in Bahasa Indonesia and English,
 * input from the URL fragment, a paste box or the camera; rendering of the verdict). */
(function (root) {
  'use strict';
  const api = root.IkrarVerify;
  const { candidates, details, ed25519Supported, fill, formatLocal, loadBundle, reasonMessage, subtle, verify, fromB64, fromHex } = api;


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
      row(t('session'), d.session_id || d.session);
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
          issued: formatLocal(trust.issuedAt, trust.zone),
          until: formatLocal(trust.validUntil, trust.zone),
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
      reason.textContent = r.cause ? fill(m.causes[r.cause], r.causeParams) : reasonMessage(m, r.reason, r.params);
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
