/* Fair POS: the sell screen. Plain JavaScript, no framework, no build step, works offline.
 *
 * The cart lives in sessionStorage (a reload or a crashed tab loses nothing). A checkout
 * carries an idempotency key made when the cashier starts paying and kept until the sale
 * succeeds; the exact request sent is kept too, so after a network failure the retry sends
 * the same key and the same content and can never make a second sale.
 * Every text shown comes from the template (#sell-strings), so it can be translated.
 */
(function () {
  'use strict';

  // ------------------------------------------------------------------ setup
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const readJson = (id) => JSON.parse(document.getElementById(id).textContent);

  const CFG = readJson('sell-config');
  const STR = readJson('sell-strings');
  const BEST = readJson('sell-products');
  const CSRF = ($('meta[name=csrf-token]') || {}).content || '';
  const STORE_KEY = 'fairpos.sell.v1.till' + CFG.till_id;
  const LAST_KEY = 'fairpos.sell.last.till' + CFG.till_id;
  // On a phone or tablet, focusing the scan field would pop the on-screen keyboard over the screen.
  const TOUCH = window.matchMedia && window.matchMedia('(hover: none) and (pointer: coarse)').matches;
  const MAX_CHANGE = 5000000; // a "tendered" amount giving more change than this is a slip (or a barcode)

  const el = {
    scan: $('#scan'), scanMsg: $('#scan-msg'), search: $('#search'), tiles: $('#tiles'), tilesTitle: $('#tiles-title'),
    lines: $('#lines'), cartEmpty: $('#cart-empty'), cartCount: $('#cart-count'),
    orderDisc: $('#order-disc'), orderDiscMode: $('#order-disc-mode'),
    subtotal: $('#t-subtotal'), discount: $('#t-discount'), discountRow: $('#t-discount-row'), total: $('#t-total'),
    limitHint: $('#limit-hint'), pendingBanner: $('#pending-banner'),
    payDlg: $('#pay-dialog'), pinDlg: $('#pin-dialog'), doneDlg: $('#done-dialog'),
    parkDlg: $('#park-dialog'), parkedDlg: $('#parked-dialog'),
    tendered: $('#tendered'), change: $('#change'), changeLabel: $('#change-label'), changeBox: $('#change-box'),
    payTotal: $('#pay-total'), payList: $('#pay-list'), paidBox: $('#paid-box'), payRemaining: $('#pay-remaining'),
    payError: $('#pay-error'), payConfirm: $('#pay-confirm'), payCheckToday: $('#pay-check-today'),
    transferAmount: $('#transfer-amount'), qrBox: $('#qr-box'), qrSvg: $('#qr-svg'), transferOk: $('#transfer-ok'),
    cardAmount: $('#card-amount'), cardOk: $('#card-ok'),
    buyerName: $('#buyer-name'), buyerTax: $('#buyer-tax'), vat: $('#vat'),
    pin: $('#pin'), pinMsg: $('#pin-msg'), pinOk: $('#pin-ok'),
    parkLabel: $('#park-label'), parkMsg: $('#park-msg'), parkOk: $('#park-ok'),
    parkedList: $('#parked-list'), parkedMsg: $('#parked-msg'), parkedSwap: $('#parked-swap'), parkedCount: $('#parked-count'),
    lastSale: $('#last-sale'),
    pbCount: $('#pb-count'), pbTotal: $('#pb-total'),
  };
  const lineTpl = $('#line-tpl').content.firstElementChild;
  const tileTpl = $('#tile-tpl').content.firstElementChild;

  // ------------------------------------------------------------------ text and numbers
  function t(key, vars) {
    let s = STR[key] || key;
    if (vars) Object.keys(vars).forEach((k) => { s = s.split('{' + k + '}').join(String(vars[k])); });
    return s;
  }
  function fmtNum(n) {
    const s = String(Math.abs(Math.trunc(n))).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
    return (n < 0 ? '-' : '') + s;
  }
  const vnd = (n) => fmtNum(n) + ' ₫';
  const minusVnd = (n) => '−' + vnd(n);

  /** "200.000", "200,000", "200000", "200k", "1,5k", "50.000 ₫" -> integer đồng; "" -> 0; nonsense -> null.
   *  As on the server (pos/money.py), a dot, comma or space only separates groups of three digits:
   *  "1.5", "12.50", "1.250,00" could mean two amounts and are refused (null), never read as 15. */
  function parseVnd(text) {
    let s = String(text == null ? '' : text).toLowerCase().replace(/\s+/g, ' ').trim()
      .replace(/\s*(₫|đồng|vnđ|vnd|đ|d)$/, '').trim();
    if (s === '') return 0;
    const m = s.match(/^(\d+)(?:[.,](\d{1,3}))?\s?k$/);
    if (m) return parseInt(m[1], 10) * 1000 + (m[2] ? parseInt((m[2] + '00').slice(0, 3), 10) : 0);
    if (/^\d{1,12}$/.test(s)) return parseInt(s, 10);
    if (/^[1-9]\d{0,2}([., ])\d{3}(\1\d{3}){0,2}$/.test(s)) return parseInt(s.replace(/[., ]/g, ''), 10);
    return null;
  }
  /** "10", "7,5", "7.5%" -> basis points (1000, 750); nonsense or over 100 % -> null. */
  function parsePct(text) {
    const s = String(text == null ? '' : text).trim().replace('%', '').replace(',', '.');
    if (s === '') return 0;
    if (!/^\d+(\.\d{1,2})?$/.test(s)) return null;
    const bp = Math.round(parseFloat(s) * 100);
    return bp > 10000 ? null : bp;
  }
  const pctText = (bp) => String(bp / 100).replace('.', ',');

  function newKey() {
    const c = window.crypto || window.msCrypto;
    if (c && typeof c.randomUUID === 'function') {
      try { return c.randomUUID(); } catch (e) { /* not a secure context: fall through */ }
    }
    const b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function hhmm(date) {
    const d = date || new Date();
    try {
      return d.toLocaleTimeString('vi-VN', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: 'Asia/Ho_Chi_Minh' });
    } catch (e) {
      return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
    }
  }

  // ------------------------------------------------------------------ sound
  let audio = null;
  function wakeAudio() {
    try {
      if (!audio) {
        const AC = window.AudioContext || window.webkitAudioContext;
        if (!AC) return;
        audio = new AC();
      }
      if (audio.state === 'suspended') audio.resume();
    } catch (e) { audio = null; }
  }
  // The audio context may only start after a user gesture: wake it on the first key or touch.
  ['keydown', 'pointerdown'].forEach((ev) => document.addEventListener(ev, wakeAudio, { capture: true, passive: true }));

  function beep(kind) {
    wakeAudio();
    if (!audio) return;
    const tones = kind === 'error'
      ? [[880, 0, 0.14, 'square', 0.25], [440, 0.17, 0.14, 'square', 0.25], [880, 0.34, 0.14, 'square', 0.25], [440, 0.51, 0.22, 'square', 0.25]]
      : kind === 'done' ? [[1320, 0, 0.09, 'sine', 0.2], [1760, 0.1, 0.14, 'sine', 0.2]]
        : [[1800, 0, 0.05, 'sine', 0.12]];
    try {
      const now = audio.currentTime;
      tones.forEach(([freq, at, dur, type, vol]) => {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = type;
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(vol, now + at);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + at + dur);
        osc.connect(gain).connect(audio.destination);
        osc.start(now + at);
        osc.stop(now + at + dur + 0.02);
      });
    } catch (e) { /* no sound is better than a broken screen */ }
  }

  // ------------------------------------------------------------------ the server
  /** One JSON call. Resolves {status, data}; rejects {network|unknown|status, error, message, field}. */
  async function api(method, path, body, opts) {
    opts = opts || {};
    const headers = Object.assign({ Accept: 'application/json' }, opts.headers || {});
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    if (method !== 'GET') headers['X-CSRFToken'] = CSRF;
    const ctrl = window.AbortController ? new AbortController() : null;
    if (ctrl) init.signal = ctrl.signal;
    const timer = ctrl ? setTimeout(() => ctrl.abort(), opts.timeout || 15000) : null;
    let res, data = null;
    try {
      res = await fetch(CFG.api + path, init);
      if ((res.headers.get('content-type') || '').indexOf('json') >= 0) data = await res.json();
    } catch (e) {
      if (!res) throw { network: true, message: t('network') };
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (res.ok && data) return { status: res.status, data };
    if (res.status === 401) throw { status: 401, error: 'Unauthorized', message: t('session') };
    if (res.ok || res.status >= 500 || !data) {
      // A 2xx without the body, a server error, a proxy page: the outcome is not known.
      throw { status: res.status, unknown: true, message: (data && data.message) || t('error_status', { status: res.status }) };
    }
    throw { status: res.status, error: data.error, message: data.message || t('error_status', { status: res.status }), field: data.field };
  }

  // ------------------------------------------------------------------ state (sessionStorage)
  function fresh() {
    return {
      v: 1, lines: [], order_disc: { mode: 'vnd', value: 0 }, buyer_name: '', buyer_tax_code: '', selected: null,
      // key: the checkout's idempotency key; payments: transfer/card money already received.
      pay: { key: null, payments: [], qr: null, tendered: '' },
      // The checkout request sent whose answer never came: {key, body}. Only ever re-sent as is.
      pending: null,
    };
  }
  function load() {
    try {
      const s = JSON.parse(sessionStorage.getItem(STORE_KEY));
      if (s && s.v === 1 && Array.isArray(s.lines)) {
        const st = Object.assign(fresh(), s);
        st.pay = Object.assign(fresh().pay, s.pay || {});
        return st;
      }
    } catch (e) { /* storage off or corrupt: start empty */ }
    return null;
  }
  let state = load() || fresh();
  function save() {
    try { sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* private mode: carry on */ }
  }

  const products = new Map(); // id -> the latest product data seen (for tiles and stock hints)
  function remember(p) {
    if (p && p.id) products.set(p.id, Object.assign(products.get(p.id) || {}, p));
    return products.get(p.id);
  }
  BEST.forEach(remember);

  // ------------------------------------------------------------------ money of the cart
  function discOf(d, base) {
    if (!d || !d.value || base <= 0) return 0;
    const v = d.mode === 'pct' ? Math.floor((base * d.value + 5000) / 10000) : d.value;
    return Math.min(Math.max(v, 0), base);
  }
  function totals() {
    let subtotal = 0, lineDisc = 0, items = 0;
    const rows = state.lines.map((l) => {
      const gross = l.qty * l.price_vnd;
      const d = discOf(l.disc, gross);
      subtotal += gross; lineDisc += d; items += l.qty;
      return { l, gross, d, net: gross - d };
    });
    const orderDisc = discOf(state.order_disc, subtotal - lineDisc);
    return { rows, items, subtotal, lineDisc, orderDisc, discount: lineDisc + orderDisc, total: subtotal - lineDisc - orderDisc };
  }
  const paidOther = () => state.pay.payments.reduce((a, p) => a + p.amount_vnd, 0);

  // ------------------------------------------------------------------ messages
  let msgTimer = null;
  function showMsg(text, kind) {
    clearTimeout(msgTimer);
    // While paying, the scan field is behind the dialog: what a scan did is said inside it too.
    if (el.payDlg.open) dialogNote(text, kind);
    el.scanMsg.textContent = text;
    el.scanMsg.className = 'scan-msg ' + (kind || 'info');
    if (kind === 'error') {
      el.scan.classList.remove('shake');
      void el.scan.offsetWidth; // restart the animation
      el.scan.classList.add('shake');
    } else {
      msgTimer = setTimeout(clearMsg, 3500);
    }
  }
  function clearMsg() { el.scanMsg.textContent = ''; el.scanMsg.className = 'scan-msg empty'; }
  function loud(text) { showMsg(text, 'error'); beep('error'); }
  el.scan.addEventListener('animationend', () => el.scan.classList.remove('shake'));

  // ------------------------------------------------------------------ focus: always back to the scan field
  const anyDialogOpen = () => !!$('dialog[open]');
  function isField(node) {
    if (!node || !node.tagName) return false;
    const tag = node.tagName;
    if (tag === 'TEXTAREA' || tag === 'SELECT' || node.isContentEditable) return true;
    return tag === 'INPUT' && ['button', 'checkbox', 'radio', 'submit', 'reset'].indexOf(node.type) < 0;
  }
  function focusScan(force) {
    if (anyDialogOpen() || TOUCH) return;
    if (!force && isField(document.activeElement) && document.activeElement !== el.scan) return;
    el.scan.focus({ preventScroll: true });
  }
  document.addEventListener('click', (e) => {
    if (anyDialogOpen() || e.target.closest('input, select, textarea, label, summary, a[href]')) return;
    setTimeout(() => focusScan(false), 0);
  });
  window.addEventListener('focus', () => setTimeout(() => focusScan(false), 0));
  $$('dialog').forEach((d) => d.addEventListener('close', () => setTimeout(() => focusScan(false), 0)));

  // ------------------------------------------------------------------ editing the cart
  let busy = false; // a checkout request is on its way

  function editable() {
    if (state.pending) { loud(t('pending_locked')); renderCart(); return false; }
    if (busy) { loud(t('busy_locked')); return false; }
    return true;
  }
  function changed() { save(); renderCart(); }

  /** Is qty of product p more than the shelf holds? Refused (loudly) when the booth forbids negative stock. */
  function stockAllows(p, qty) {
    if (typeof p.on_hand !== 'number' || qty <= p.on_hand) return 'ok';
    const n = fmtNum(Math.max(p.on_hand, 0));
    if (!CFG.allow_negative) { loud(t('stock_refused', { name: p.name, n })); return false; }
    return 'over';
  }

  /** Add qty of p to the cart. Returns false (refused), 'ok', or 'over' (added beyond what is on hand). */
  function addProduct(p, qty, stampCode) {
    if (!editable()) return false;
    displayDone = null;
    p = remember(p);
    let line = state.lines.find((l) => l.product_id === p.id);
    const allowed = stockAllows(p, (line ? line.qty : 0) + (qty || 1));
    if (!allowed) { renderCart(); return false; }
    if (line) {
      line.qty += qty || 1;
      line.price_vnd = p.price_vnd;
      if (stampCode && !line.stamp_code) line.stamp_code = stampCode;
    } else {
      line = {
        key: 'p' + p.id, product_id: p.id, name: p.name, unit: p.unit, price_vnd: p.price_vnd,
        stamp_code: stampCode || null, qty: qty || 1, disc: { mode: 'vnd', value: 0 },
      };
      state.lines.push(line);
    }
    if (typeof p.on_hand === 'number') line.on_hand = p.on_hand;
    state.selected = line.key;
    changed();
    const li = el.lines.querySelector('[data-key="' + line.key + '"]');
    if (li) {
      li.classList.remove('bump');
      void li.offsetWidth;
      li.classList.add('bump');
      li.scrollIntoView({ block: 'nearest' });
    }
    return allowed;
  }
  /** Say what adding did: a beep and green, or red with the number left when beyond the shelf. */
  function announceAdded(p, added) {
    if (!added) return;
    if (added === 'over') { loud(t('stock_over', { name: p.name, n: fmtNum(Math.max(products.get(p.id).on_hand, 0)) })); return; }
    beep('ok');
    showMsg(t('added', { name: p.name }), 'ok');
  }
  const findLine = (key) => state.lines.find((l) => l.key === key);
  const selectedLine = () => findLine(state.selected) || state.lines[state.lines.length - 1];

  function setQty(line, qty) {
    if (!line || !editable()) return;
    if (!Number.isInteger(qty) || qty < 1 || qty > 10000) { loud(t('qty_invalid')); renderCart(); return; }
    const known = products.get(line.product_id);
    const allowed = qty > line.qty && known ? stockAllows(known, qty) : 'ok';
    if (!allowed) { renderCart(); return; }
    line.qty = qty;
    state.selected = line.key;
    changed();
    if (allowed === 'over') loud(t('stock_over', { name: line.name, n: fmtNum(Math.max(known.on_hand, 0)) }));
  }
  function bump(delta) {
    const line = selectedLine();
    if (line && line.qty + delta >= 1) setQty(line, line.qty + delta);
  }
  function removeLine(line) {
    if (!line || !editable()) return;
    state.lines = state.lines.filter((l) => l !== line);
    if (state.selected === line.key) state.selected = state.lines.length ? state.lines[state.lines.length - 1].key : null;
    changed();
  }

  /** Read a discount typed in ₫ (or "10k") or %, against the amount it comes off. Returns false when refused. */
  function setDiscount(target, text, mode, base) {
    const value = mode === 'pct' ? parsePct(text) : parseVnd(text);
    if (value === null) { loud(t('discount_invalid')); return false; }
    target.mode = mode;
    target.value = value;
    if (mode === 'vnd' && value > base) {
      target.value = base;
      showMsg(t('discount_capped', { amount: vnd(base) }), 'error');
    }
    return true;
  }

  // ------------------------------------------------------------------ drawing the cart
  function fillLine(li, row) {
    const l = row.l;
    li.classList.toggle('selected', l.key === state.selected);
    $('.l-name', li).textContent = l.name;
    $('.l-price', li).textContent = vnd(l.price_vnd) + ' / ' + l.unit;
    const qi = $('.q-input', li);
    if (document.activeElement !== qi) qi.value = l.qty;
    $('.q-minus', li).disabled = l.qty <= 1;
    $('.l-total', li).textContent = vnd(row.net);
    const open = l.disc.value > 0 || li.dataset.discOpen === '1';
    $('.l-disc', li).hidden = !open;
    $('.l-disc-toggle', li).hidden = open;
    const di = $('.d-input', li);
    if (document.activeElement !== di) di.value = l.disc.value ? (l.disc.mode === 'pct' ? pctText(l.disc.value) : fmtNum(l.disc.value)) : '';
    $('.d-mode', li).value = l.disc.mode;
    $('.d-vnd', li).textContent = row.d ? minusVnd(row.d) : '';
    const stamp = $('.l-stamp', li);
    stamp.hidden = !l.stamp_code;
    $('.mono', stamp).textContent = l.stamp_code || '';
    const known = products.get(l.product_id);
    const onHand = known && typeof known.on_hand === 'number' ? known.on_hand : l.on_hand;
    const warn = $('.l-warn', li);
    warn.textContent = typeof onHand === 'number' && l.qty > onHand ? t('over_stock', { n: fmtNum(Math.max(onHand, 0)) }) : '';
    warn.hidden = !warn.textContent;
    li.classList.toggle('short', !warn.hidden);
    $('.l-extra', li).hidden = !open && stamp.hidden && warn.hidden;
  }

  function renderCart() {
    const T = totals();
    const existing = new Map($$('li.line', el.lines).map((li) => [li.dataset.key, li]));
    T.rows.forEach((row, i) => {
      let li = existing.get(row.l.key);
      if (!li) {
        li = lineTpl.cloneNode(true);
        li.dataset.key = row.l.key;
      }
      existing.delete(row.l.key);
      fillLine(li, row);
      if (el.lines.children[i] !== li) el.lines.insertBefore(li, el.lines.children[i] || null);
    });
    existing.forEach((li) => li.remove());

    const empty = !state.lines.length;
    el.cartEmpty.hidden = !empty;
    el.cartCount.textContent = empty ? '' : '(' + t('items', { n: fmtNum(T.items) }) + ')';
    el.subtotal.textContent = vnd(T.subtotal);
    el.discountRow.hidden = !T.discount;
    el.discount.textContent = minusVnd(T.discount);
    el.total.textContent = vnd(T.total);
    if (document.activeElement !== el.orderDisc) {
      const od = state.order_disc;
      el.orderDisc.value = od.value ? (od.mode === 'pct' ? pctText(od.value) : fmtNum(od.value)) : '';
    }
    el.orderDiscMode.value = state.order_disc.mode;
    el.limitHint.hidden = !(CFG.role === 'cashier' && T.discount > 0 && T.discount * 10000 > T.subtotal * CFG.limit_bp);
    ['#pay-cash', '#pay-transfer', '#pay-card', '#pb-pay', '#btn-park', '#btn-clear'].forEach((s) => { $(s).disabled = empty; });
    el.pendingBanner.hidden = !state.pending || busy;
    el.pbCount.textContent = fmtNum(T.items);
    el.pbTotal.textContent = vnd(T.total);
    document.body.classList.toggle('cart-has-items', !empty);
    pushDisplay();
  }

  el.lines.addEventListener('click', (e) => {
    const li = e.target.closest('li.line');
    if (!li) return;
    const line = findLine(li.dataset.key);
    if (!line) return;
    if (e.target.closest('.q-plus')) setQty(line, line.qty + 1);
    else if (e.target.closest('.q-minus')) { if (line.qty > 1) setQty(line, line.qty - 1); }
    else if (e.target.closest('.l-remove')) removeLine(line);
    else if (e.target.closest('.l-disc-toggle')) {
      if (!editable()) return;
      li.dataset.discOpen = '1';
      state.selected = line.key;
      renderCart();
      li.scrollIntoView({ block: 'nearest' });
      $('.d-input', li).focus();
    } else if (state.selected !== line.key) {
      state.selected = line.key;
      save();
      renderCart();
    }
  });
  el.lines.addEventListener('change', (e) => {
    const li = e.target.closest('li.line');
    const line = li && findLine(li.dataset.key);
    if (!line) return;
    if (e.target.classList.contains('q-input')) {
      const v = e.target.value.trim();
      setQty(line, /^\d+$/.test(v) ? parseInt(v, 10) : NaN);
    } else if (e.target.classList.contains('d-input') || e.target.classList.contains('d-mode')) {
      if (!editable()) return;
      setDiscount(line.disc, $('.d-input', li).value, $('.d-mode', li).value, line.qty * line.price_vnd);
      if (!line.disc.value) delete li.dataset.discOpen;
      state.selected = line.key;
      changed();
    }
  });
  // Enter in a cart field: take the value, and go back to scanning.
  function enterCommits(e) {
    if (e.key === 'Enter' && isField(e.target) && e.target.tagName === 'INPUT') {
      e.preventDefault();
      e.target.blur();
      focusScan(true);
    } else if (e.key === 'Escape' && isField(e.target)) {
      e.target.blur();
      renderCart();
      focusScan(true);
    }
  }
  el.lines.addEventListener('keydown', enterCommits);
  el.orderDisc.addEventListener('keydown', enterCommits);
  function orderDiscChanged() {
    if (!editable()) return;
    const T = totals();
    setDiscount(state.order_disc, el.orderDisc.value, el.orderDiscMode.value, T.subtotal - T.lineDisc);
    changed();
  }
  el.orderDisc.addEventListener('change', orderDiscChanged);
  el.orderDiscMode.addEventListener('change', orderDiscChanged);

  $('#btn-clear').addEventListener('click', () => {
    if (!state.lines.length || !editable()) return;
    if (!window.confirm(state.pay.payments.length ? t('clear_paid_confirm') : t('clear_confirm'))) return;
    const key = state.pay.payments.length ? state.pay.key : null;
    state = fresh();
    if (key) state.pay.key = key;
    changed();
    showMsg(t('cleared'), 'info');
  });

  // ------------------------------------------------------------------ tiles and search
  function tileFor(p) {
    const b = tileTpl.cloneNode(true);
    b.dataset.id = p.id;
    $('.t-name', b).textContent = p.name;
    $('.t-producer', b).textContent = p.producer ? p.producer.name : '';
    $('.t-price', b).textContent = vnd(p.price_vnd);
    $('.t-stars', b).textContent = p.ocop_stars ? '★'.repeat(p.ocop_stars) : '';
    const stock = $('.t-stock', b);
    if (typeof p.on_hand === 'number') {
      stock.textContent = p.on_hand > 0 ? t('on_hand', { n: fmtNum(p.on_hand), unit: p.unit }) : t('sold_out');
      b.classList.toggle('sold-out', p.on_hand <= 0);
      b.classList.toggle('low', p.on_hand > 0 && p.on_hand <= (CFG.low_stock || 5));
    }
    return b;
  }
  // shown.more: the search's parameters and next offset when it found more than one page.
  let shown = { list: BEST, title: t('best_sellers'), more: null };
  function renderTiles(list, title, more) {
    shown = { list, title, more: more || null };
    el.tilesTitle.textContent = title;
    if (!list.length) {
      const p = document.createElement('p');
      p.className = 'empty';
      p.textContent = t('no_results');
      el.tiles.replaceChildren(p);
    } else {
      const tiles = list.map((p) => tileFor(products.get(p.id) || p));
      if (shown.more) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'more-tile';
        b.id = 'more-results';
        b.textContent = t('more_results');
        tiles.push(b);
      }
      el.tiles.replaceChildren.apply(el.tiles, tiles);
    }
  }
  function searchTitle(q, n, more) {
    const count = more ? n + '+' : n;
    if (q) return t('results', { n: count });
    const chip = $('.producers .chip.on');
    return t('producer_products', { name: chip ? chip.textContent.trim() : '', n: count });
  }
  async function showMore(button) {
    const more = shown.more;
    if (!more) return;
    button.disabled = true;
    const seq = searchSeq;
    const params = new URLSearchParams(more.params);
    params.set('offset', more.offset);
    try {
      const res = await api('GET', '/products?' + params.toString());
      if (seq !== searchSeq) return; // a new search was typed meanwhile: its answer wins
      const page = res.data.products || [];
      page.forEach(remember);
      const list = shown.list.concat(page);
      const next = res.data.has_more ? { params: more.params, offset: res.data.next_offset } : null;
      renderTiles(list, searchTitle(params.get('q'), list.length, next), next);
    } catch (err) {
      button.disabled = false;
      loud(err.message);
    }
  }
  el.tiles.addEventListener('click', (e) => {
    const more = e.target.closest('.more-tile');
    if (more) { showMore(more); return; }
    const b = e.target.closest('.tile');
    if (!b) return;
    const p = products.get(parseInt(b.dataset.id, 10));
    if (p) announceAdded(p, addProduct(p, 1, null));
  });

  const chips = $$('.producers .chip');
  const producerId = () => { const c = $('.producers .chip.on'); return c ? c.dataset.producer : ''; };
  chips.forEach((c) => c.addEventListener('click', () => {
    chips.forEach((x) => x.classList.toggle('on', x === c));
    runSearch();
  }));

  let searchSeq = 0, searchTimer = null;
  async function runSearch() {
    clearTimeout(searchTimer);
    const q = el.search.value.trim();
    const pid = producerId();
    const seq = ++searchSeq;
    if (!q && !pid) { renderTiles(BEST, t('best_sellers')); return BEST; }
    el.tilesTitle.textContent = t('searching');
    const params = new URLSearchParams();
    if (q) params.set('q', q);
    if (pid) params.set('producer_id', pid);
    try {
      const res = await api('GET', '/products?' + params.toString());
      if (seq !== searchSeq) return null;
      const list = res.data.products || [];
      list.forEach(remember);
      const more = res.data.has_more ? { params: params.toString(), offset: res.data.next_offset } : null;
      renderTiles(list, searchTitle(q, list.length, more), more);
      return list;
    } catch (err) {
      if (seq === searchSeq) { el.tilesTitle.textContent = shown.title; loud(err.message); }
      return null;
    }
  }
  el.search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 220);
  });
  el.search.addEventListener('keydown', async (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      const list = await runSearch();
      const added = list && list.length === 1 && addProduct(list[0], 1, null); // one match: take it
      if (added) {
        announceAdded(list[0], added);
        el.search.value = '';
        runSearch();
        focusScan(true);
      }
    } else if (e.key === 'Escape') {
      e.preventDefault();
      resetSearch();
      focusScan(true);
    }
  });
  function resetSearch() {
    el.search.value = '';
    chips.forEach((x) => x.classList.toggle('on', x.dataset.producer === ''));
    runSearch();
  }

  // ------------------------------------------------------------------ scanning
  let scanChain = Promise.resolve();
  async function handleScan(code) {
    if (/\s/.test(code)) { // words: a name search
      el.search.value = code;
      const list = await runSearch();
      if (list && !list.length) loud(t('not_found', { q: code }));
      return;
    }
    try {
      const res = await api('GET', '/products/by-code?code=' + encodeURIComponent(code));
      announceAdded(res.data, addProduct(res.data, 1, res.data.scanned_stamp_code || null));
    } catch (err) {
      if (err.status === 404 && !/\d/.test(code)) { // letters only, not a code: try it as a name
        el.search.value = code;
        const list = await runSearch();
        if (list && list.length) return;
      }
      if (err.status === 404) loud(err.message || t('unknown_code', { code }));
      else if (err.network || err.unknown) loud(t('network_scan', { code }));
      else loud(err.message);
    }
  }
  el.scan.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      const code = el.scan.value.trim();
      el.scan.value = '';
      if (code) scanChain = scanChain.then(() => handleScan(code)).catch(() => {}); // in order, one at a time
    } else if (el.scan.value === '' && (e.key === '+' || e.key === '-')) {
      e.preventDefault();
      bump(e.key === '+' ? 1 : -1);
    } else if (el.scan.value === '' && e.key === 'Delete') {
      e.preventDefault();
      removeLine(selectedLine());
    } else if (e.key === 'Escape') {
      e.preventDefault();
      if (el.scan.value) el.scan.value = '';
      else resetSearch();
    }
  });

  // ------------------------------------------------------------------ paying
  let method = 'cash';
  let pin = null; // a manager's PIN typed for this checkout (never stored)

  function payError(text) {
    el.payError.textContent = text || '';
    el.payError.hidden = !text;
  }
  function cashState() {
    const T = totals();
    const remaining = T.total - paidOther();
    const raw = el.tendered.value.trim();
    const typed = parseVnd(raw);
    const tendered = raw === '' ? remaining : typed;
    return { T, remaining, raw, tendered };
  }
  function renderPay() {
    const c = cashState();
    el.payTotal.textContent = vnd(c.T.total);
    $$('.method', el.payDlg).forEach((b) => {
      const on = b.dataset.method === method;
      b.classList.toggle('on', on);
      b.setAttribute('aria-selected', on ? 'true' : 'false');
    });
    $$('.panel', el.payDlg).forEach((p) => { p.hidden = p.dataset.panel !== method; });

    el.paidBox.hidden = !state.pay.payments.length;
    el.payList.replaceChildren.apply(el.payList, state.pay.payments.map((p, i) => {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.textContent = t('method_' + p.method) + (p.reference ? ' · ' + p.reference : '');
      const amount = document.createElement('b');
      amount.textContent = vnd(p.amount_vnd);
      const x = document.createElement('button');
      x.type = 'button';
      x.className = 'btn small pay-remove';
      x.dataset.index = i;
      x.textContent = '×';
      x.title = t('remove_payment');
      x.setAttribute('aria-label', t('remove_payment'));
      x.disabled = busy || !!state.pending;
      li.append(name, amount, x);
      return li;
    }));
    el.payRemaining.textContent = vnd(Math.max(c.remaining, 0));

    // Cash: the change, large, before confirming.
    el.changeBox.classList.remove('short', 'ok', 'exact');
    el.tendered.disabled = c.remaining <= 0 || busy || !!state.pending;
    if (c.remaining < 0) {
      el.changeLabel.textContent = t('noncash_over');
      el.change.textContent = '';
      el.changeBox.classList.add('short');
    } else if (c.remaining === 0) {
      el.changeLabel.textContent = t('no_cash_needed');
      el.change.textContent = '';
      el.changeBox.classList.add('exact');
    } else if (c.tendered === null) {
      el.changeLabel.textContent = t('amount_invalid');
      el.change.textContent = '';
      el.changeBox.classList.add('short');
    } else if (c.tendered < c.remaining) {
      el.changeLabel.textContent = t('missing');
      el.change.textContent = vnd(c.remaining - c.tendered);
      el.changeBox.classList.add('short');
    } else {
      el.changeLabel.textContent = c.raw === '' ? t('exact_cash') : t('change');
      el.change.textContent = vnd(c.tendered - c.remaining);
      el.changeBox.classList.add(c.raw === '' ? 'exact' : 'ok');
    }

    // Transfer: the QR for the customer to scan.
    if (el.qrBox) {
      const qr = state.pay.qr;
      el.qrBox.hidden = !qr;
      if (qr) {
        if (el.qrSvg.dataset.ref !== qr.reference + '/' + qr.amount_vnd) {
          el.qrSvg.innerHTML = qr.svg; // our own server's SVG markup
          el.qrSvg.dataset.ref = qr.reference + '/' + qr.amount_vnd;
        }
        $('#qr-amount').textContent = vnd(qr.amount_vnd);
        $('#qr-ref').textContent = qr.reference;
        $('#qr-account').textContent = [qr.account_name, qr.bank_account].filter(Boolean).join(' · ');
      }
    }
    [el.transferOk, el.cardOk, $('#qr-make')].forEach((b) => { if (b) b.disabled = busy || !!state.pending || c.remaining <= 0; });

    const pending = !!state.pending;
    el.payConfirm.hidden = !(method === 'cash' || pending || c.remaining <= 0);
    el.payConfirm.disabled = busy;
    el.payConfirm.firstChild.textContent = (busy ? t('saving') : pending ? t('retry') : t('confirm')) + ' ';
    el.payConfirm.classList.toggle('busy', busy);
    $$('.note', el.payDlg).forEach((b) => { b.disabled = busy || pending || c.remaining <= 0; });
    el.payDlg.classList.toggle('is-busy', busy);
    pushDisplay();
  }

  function openPay(m) {
    if (state.pending) { // a checkout whose answer never came: only a retry of that very request
      showPay('cash');
      return;
    }
    if (!state.lines.length) { loud(t('cart_empty')); return; }
    if (isField(document.activeElement)) document.activeElement.blur(); // commit a half-typed discount
    if (!state.pay.key) { state.pay.key = newKey(); save(); } // this checkout's key, until it succeeds
    payError('');
    dialogNote('');
    el.payCheckToday.hidden = true;
    showPay(m);
  }
  function showPay(m) {
    if (!el.payDlg.open) {
      el.tendered.value = state.pay.tendered || '';
      el.buyerName.value = state.buyer_name || '';
      el.buyerTax.value = state.buyer_tax_code || '';
      el.vat.open = !!(state.buyer_name || state.buyer_tax_code);
      el.payDlg.showModal();
    }
    selectMethod(m);
  }

  function selectMethod(m) {
    method = m;
    const remaining = totals().total - paidOther();
    if (m === 'transfer') {
      if (!state.pay.qr) el.transferAmount.value = remaining > 0 ? fmtNum(remaining) : '';
      else el.transferAmount.value = fmtNum(state.pay.qr.amount_vnd);
      renderPay();
      if (CFG.vietqr && !state.pay.qr && remaining > 0 && !state.pending) makeQr();
      if (!TOUCH) el.transferAmount.focus(); // never a confirm button: a scanner's keys must land in a field
    } else if (m === 'card') {
      el.cardAmount.value = remaining > 0 ? fmtNum(remaining) : '';
      renderPay();
      if (!TOUCH) { el.cardAmount.focus(); el.cardAmount.select(); }
    } else {
      renderPay();
      if (!TOUCH && !el.tendered.disabled) { el.tendered.focus(); el.tendered.select(); }
      else if (!TOUCH) el.payConfirm.focus();
    }
  }

  const hasTransfer = () => state.pay.payments.some((p) => p.method === 'transfer');
  async function makeQr() {
    if (busy || state.pending) return;
    if (hasTransfer()) { payError(t('one_transfer')); beep('error'); return; }
    const amount = parseVnd(el.transferAmount.value);
    const remaining = totals().total - paidOther();
    if (!amount || amount > remaining) { payError(t('amount_invalid')); beep('error'); return; }
    if (!state.pay.key) state.pay.key = newKey();
    payError('');
    el.transferOk.disabled = true;
    el.qrBox.hidden = false;
    el.qrSvg.textContent = t('qr_making');
    el.qrSvg.dataset.ref = '';
    try {
      const res = await api('POST', '/sales/vietqr', { till_id: CFG.till_id, amount_vnd: amount, idempotency_key: state.pay.key });
      const d = res.data;
      state.pay.qr = { amount_vnd: d.amount_vnd, reference: d.reference, svg: d.svg, payload: d.payload, account_name: d.account_name, bank_account: d.bank_account };
      save();
    } catch (err) {
      state.pay.qr = null;
      payError(err.message);
      beep('error');
    }
    renderPay();
    if (!TOUCH && el.payDlg.open && method === 'transfer' && document.activeElement !== el.transferAmount) el.transferAmount.focus();
  }

  function addNonCash(kind, amount, reference) {
    if (busy || state.pending) return;
    const remaining = totals().total - paidOther();
    if (!amount || amount <= 0 || amount > remaining) { payError(t('amount_invalid')); beep('error'); return; }
    if (kind === 'transfer' && hasTransfer()) { payError(t('one_transfer')); beep('error'); return; }
    payError('');
    state.pay.payments.push({ method: kind, amount_vnd: amount, reference: reference || '' });
    if (kind === 'transfer') state.pay.qr = null;
    save();
    if (amount === remaining) submitSale(); // paid in full: done in one press
    else selectMethod('cash'); // the rest in cash
  }
  el.transferOk.addEventListener('click', () => {
    const qr = state.pay.qr;
    addNonCash('transfer', qr ? qr.amount_vnd : parseVnd(el.transferAmount.value), qr ? qr.reference : '');
  });
  el.cardOk.addEventListener('click', () => addNonCash('card', parseVnd(el.cardAmount.value), ''));
  if ($('#qr-make')) $('#qr-make').addEventListener('click', makeQr);
  el.payList.addEventListener('click', (e) => {
    const b = e.target.closest('.pay-remove');
    if (!b || busy || state.pending) return;
    state.pay.payments.splice(parseInt(b.dataset.index, 10), 1);
    save();
    renderPay();
  });

  $$('.method', el.payDlg).forEach((b) => b.addEventListener('click', () => { if (!busy) selectMethod(b.dataset.method); }));
  el.tendered.addEventListener('input', () => { state.pay.tendered = el.tendered.value; save(); payError(''); renderPay(); });
  $$('.note[data-note]', el.payDlg).forEach((b) => b.addEventListener('click', () => {
    const now = parseVnd(el.tendered.value) || 0;
    el.tendered.value = fmtNum(now + parseInt(b.dataset.note, 10));
    el.tendered.dispatchEvent(new Event('input'));
    if (!TOUCH) el.tendered.focus();
  }));
  $('#exact').addEventListener('click', () => {
    const remaining = totals().total - paidOther();
    el.tendered.value = remaining > 0 ? fmtNum(remaining) : '';
    el.tendered.dispatchEvent(new Event('input'));
    if (!TOUCH) el.tendered.focus();
  });
  $('#tendered-clear').addEventListener('click', () => {
    el.tendered.value = '';
    el.tendered.dispatchEvent(new Event('input'));
    if (!TOUCH) el.tendered.focus();
  });
  el.buyerName.addEventListener('input', () => { state.buyer_name = el.buyerName.value; save(); });
  el.buyerTax.addEventListener('input', () => { state.buyer_tax_code = el.buyerTax.value; save(); });
  el.payConfirm.addEventListener('click', () => submitSale());

  /** The checkout request for the cart as it is now, or an error text. */
  function buildBody() {
    const c = cashState();
    if (!state.lines.length) return { error: t('cart_empty') };
    if (c.remaining < 0) return { error: t('noncash_over') };
    const body = {
      till_id: CFG.till_id,
      lines: c.T.rows.map((row) => {
        const line = { product_id: row.l.product_id, qty: row.l.qty };
        if (row.d) line.discount_vnd = row.d;
        if (row.l.stamp_code) line.stamp_code = row.l.stamp_code;
        return line;
      }),
      payments: state.pay.payments.map((p) => ({ method: p.method, amount_vnd: p.amount_vnd })),
    };
    if (c.T.orderDisc) body.order_discount_vnd = c.T.orderDisc;
    if (c.remaining > 0) {
      if (c.tendered === null) return { error: t('amount_invalid') };
      if (c.tendered < c.remaining) return { error: t('missing') + ': ' + vnd(c.remaining - c.tendered) };
      if (c.tendered - c.remaining > MAX_CHANGE) return { error: t('amount_invalid') + ' ' + vnd(c.tendered) };
      body.payments.push({ method: 'cash', tendered_vnd: c.tendered });
    }
    const name = (state.buyer_name || '').trim();
    const tax = (state.buyer_tax_code || '').trim();
    if (name) body.buyer_name = name;
    if (tax) body.buyer_tax_code = tax;
    return { body: JSON.stringify(body) };
  }

  async function submitSale(withPin) {
    if (busy) return; // a double click sends nothing more
    if (withPin !== undefined) pin = withPin;
    if (!state.pending) {
      const built = buildBody();
      if (built.error) { payError(built.error); beep('error'); return; }
      if (!state.pay.key) state.pay.key = newKey();
      // Written down before it leaves: a crash now is retried with this very key and content.
      state.pending = { key: state.pay.key, body: built.body };
    }
    const sent = state.pending;
    let body = sent.body;
    if (pin) { const b = JSON.parse(body); b.manager_pin = pin; body = JSON.stringify(b); }
    busy = true;
    save();
    payError('');
    renderPay();
    renderCart();
    let res = null, err = null;
    try {
      res = await api('POST', '/sales', body, { headers: { 'Idempotency-Key': sent.key }, timeout: 20000 });
    } catch (e) {
      err = e;
    }
    busy = false;
    if (res && res.data && res.data.receipt_no) { sold(res.data); return; }
    if (!err || err.network || err.unknown) {
      // No answer: the sale may or may not be written. Keep the request; only retry it as is.
      renderCart();
      if (el.pinDlg.open) el.pinDlg.close();
      showPay('cash');
      payError(t('sale_unknown') + (err && err.status ? ' (' + err.status + ')' : ''));
      beep('error');
      return;
    }
    // A clear refusal: nothing was written, the cart can be changed and paid again with the same key.
    state.pending = null;
    save();
    renderCart();
    if (err.error === 'DiscountOverLimit' || err.error === 'WrongPin') {
      pin = null;
      openPin(err.message);
      beep('error');
      return;
    }
    if (el.pinDlg.open) el.pinDlg.close();
    if (!el.payDlg.open) showPay(method);
    renderPay();
    if (err.error === 'IdempotencyConflict') {
      state.pay.key = null; // a sale exists under that key: look before taking money again
      save();
      el.payCheckToday.hidden = false;
      payError(err.message + ' ' + t('conflict_hint'));
    } else {
      payError(err.message);
    }
    beep('error');
  }

  function sold(sale) {
    // Stock shown on tiles goes down at once, before the next search.
    (sale.lines || []).forEach((ln) => {
      const p = products.get(ln.product_id);
      if (p && typeof p.on_hand === 'number') p.on_hand -= ln.qty;
    });
    pin = null;
    const cashPaid = (sale.payments || []).some((p) => p.method === 'cash');
    displayDone = { total_vnd: sale.total_vnd, change_vnd: sale.change_vnd || 0, cash: cashPaid };
    state = fresh(); // next customer: empty cart, and a new key when paying starts
    save();
    try { sessionStorage.setItem(LAST_KEY, JSON.stringify({ id: sale.id, receipt_no: sale.receipt_no })); } catch (e) { /* ignore */ }
    if (el.pinDlg.open) el.pinDlg.close();
    if (el.payDlg.open) el.payDlg.close();
    renderCart();
    renderTiles(shown.list, shown.title, shown.more);
    showLastSale();
    const url = CFG.sale_url.replace('987654321', String(sale.id));
    $('#done-receipt').textContent = sale.receipt_no;
    $('#done-total').textContent = vnd(sale.total_vnd);
    const hasCash = (sale.payments || []).some((p) => p.method === 'cash');
    $('#done-change-box').hidden = !hasCash;
    $('#done-change').textContent = vnd(sale.change_vnd || 0);
    $('#done-warn').hidden = !sale.went_below_zero;
    $('#done-link').href = url;
    watchPrint(sale.print_job);
    el.doneDlg.showModal();
    $('#done-next').focus();
    beep('done');
  }

  // The slip prints after the sale is saved: its outcome is shown, never waited for.
  function watchPrint(job) {
    const line = $('#done-print');
    line.hidden = !job || job.status === 'off';
    if (!job || job.status === 'off') return;
    const show = (status, error) => {
      const failed = status === 'failed';
      line.textContent = failed ? t('print_failed', { error: error || '' })
        : t({ done: 'print_done', sent: 'print_sent' }[status] || 'print_pending');
      line.classList.toggle('warn', failed);
      const alert = $('#print-alert');
      alert.hidden = !failed;
      if (failed) alert.textContent = t('print_failed', { error: error || '' });
      return status === 'done' || status === 'sent' || failed;
    };
    if (!job.id || show(job.status, job.error)) return;
    let tries = 0;
    const poll = async () => {
      tries += 1;
      try {
        const res = await api('GET', '/print-jobs/' + job.id);
        if (show(res.data.status, res.data.error)) return;
      } catch (e) { /* the sale is safe; try again shortly */ }
      if (tries < 30) setTimeout(poll, 1000);
    };
    setTimeout(poll, 700);
  }

  function nextCustomer() {
    if (el.doneDlg.open) el.doneDlg.close();
    displayDone = null; // the customer display greets the next customer
    pushDisplay();
    clearMsg();
    focusScan(true);
  }
  $('#done-next').addEventListener('click', nextCustomer);
  el.doneDlg.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.target.closest('a')) { e.preventDefault(); nextCustomer(); }
    else if (e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey && e.key !== ' ') {
      nextCustomer(); // the scanner is already at the next customer's goods: let the key land in the scan field
    }
  });

  function showLastSale() {
    let last = null;
    try { last = JSON.parse(sessionStorage.getItem(LAST_KEY)); } catch (e) { /* ignore */ }
    el.lastSale.hidden = !last;
    if (last) {
      el.lastSale.href = CFG.sale_url.replace('987654321', String(last.id));
      $('b', el.lastSale).textContent = last.receipt_no;
    }
  }

  // A manager's PIN for a discount above the cashier's limit.
  function openPin(message) {
    el.pinMsg.textContent = message || t('pin_needed');
    el.pin.value = '';
    if (!el.payDlg.open) showPay(method);
    if (!el.pinDlg.open) el.pinDlg.showModal();
    el.pin.focus();
  }
  function pinOk() {
    const v = el.pin.value.trim();
    if (!v) { el.pinMsg.textContent = t('pin_needed'); beep('error'); return; }
    submitSale(v);
  }
  el.pinOk.addEventListener('click', pinOk);
  el.pin.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); if (!busy) pinOk(); } });

  // ------------------------------------------------------------------ a wedge scanner while paying
  // A keyboard-wedge scanner "types" its code in a few milliseconds and ends it with Enter (or Tab).
  // None of those keys may confirm a payment: once the VietQR is shown the customer may hand over
  // one more jar, and the scanner's Enter must not say "the money arrived". So inside the payment
  // dialog Enter never confirms anything (Ctrl+Enter or a click does), and a burst of fast keys
  // ended by Enter or Tab is taken back out of the field it fell into and handled as a scan: the
  // item is added, the amount due and the QR are redrawn. In the PIN dialog such a burst is refused.
  const SCAN_GAP_MS = 100, SCAN_MIN_CHARS = 4;
  let burst = null;
  function trackBurst(e) {
    // When the key happened, not when this handler got to run: a page busy redrawing the cart or the
    // QR must not split a scanner's burst into "typing" because its handlers ran late.
    const now = e.timeStamp || performance.now();
    if (e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) {
      if (!burst || now - burst.last > SCAN_GAP_MS || burst.target !== e.target) {
        burst = { code: '', target: e.target, before: typeof e.target.value === 'string' ? e.target.value : null };
      }
      burst.code += e.key;
      burst.last = now;
      return null;
    }
    const b = burst;
    if (e.key !== 'Shift') burst = null;
    if ((e.key === 'Enter' || e.key === 'Tab') && b && now - b.last <= SCAN_GAP_MS && b.code.trim().length >= SCAN_MIN_CHARS) return b;
    return null;
  }
  function undoBurst(b) {
    if (b.before === null || b.target.value === b.before) return;
    b.target.value = b.before; // the scanner's characters are not an amount, a name or a PIN
    b.target.dispatchEvent(new Event('input'));
  }
  function dialogNote(text, kind) {
    const box = $('#pay-scan-msg');
    box.textContent = text || '';
    box.className = 'scan-msg ' + (text ? kind || 'info' : 'empty');
  }
  async function scanWhilePaying(code) {
    await handleScan(code);
    if (!el.payDlg.open) return;
    state.pay.qr = null; // the QR was for the old amount: never let the customer pay that one
    save();
    const remaining = totals().total - paidOther();
    if (method === 'transfer') {
      el.transferAmount.value = remaining > 0 ? fmtNum(remaining) : '';
      renderPay();
      if (CFG.vietqr && remaining > 0) await makeQr();
    } else if (method === 'card') {
      el.cardAmount.value = remaining > 0 ? fmtNum(remaining) : '';
      renderPay();
    } else {
      renderPay();
    }
  }
  function confirmPayment() {
    if (busy) return;
    if (state.pending || method === 'cash' || totals().total - paidOther() <= 0) submitSale();
    else if (method === 'card') el.cardOk.click();
    else if (method === 'transfer') {
      const typed = parseVnd(el.transferAmount.value);
      if (CFG.vietqr && (!state.pay.qr || state.pay.qr.amount_vnd !== typed)) makeQr();
      else el.transferOk.click();
    }
  }

  // Keys inside the payment dialog: F2/F3/F4 choose the method, Ctrl+Enter confirms.
  el.payDlg.addEventListener('keydown', (e) => {
    if (el.pinDlg.open) return;
    const scanned = trackBurst(e);
    if (scanned) {
      e.preventDefault();
      undoBurst(scanned);
      const code = scanned.code.trim();
      scanChain = scanChain.then(() => scanWhilePaying(code)).catch(() => {});
      return;
    }
    const k = { F2: 'cash', F3: 'transfer', F4: 'card' }[e.key];
    if (k) { e.preventDefault(); if (!busy && !state.pending) selectMethod(k); return; }
    if (e.key === ' ' && burst && e.target.tagName === 'BUTTON') { e.preventDefault(); return; } // a space inside a scan
    if (e.key !== 'Enter' || e.target.closest('a, summary')) return;
    e.preventDefault(); // Enter never presses a focused button here
    if (busy || e.repeat) return;
    if (e.ctrlKey || e.metaKey) { confirmPayment(); return; }
    if (e.target === el.transferAmount) { // a new QR for the amount typed: asks for money, records none
      const typed = parseVnd(el.transferAmount.value);
      if (CFG.vietqr && (!state.pay.qr || state.pay.qr.amount_vnd !== typed)) { makeQr(); return; }
    }
    dialogNote(t('enter_no_confirm'), 'info');
  });
  el.pinDlg.addEventListener('keydown', (e) => {
    const scanned = trackBurst(e);
    if (!scanned) return;
    e.preventDefault();
    e.stopPropagation(); // the PIN field's Enter must not send the scanned code as a PIN
    undoBurst(scanned);
    el.pinMsg.textContent = t('scan_in_pin', { code: scanned.code.trim() });
    beep('error');
  }, true);
  el.payDlg.addEventListener('cancel', (e) => { if (busy) e.preventDefault(); });
  el.payDlg.addEventListener('close', () => { renderCart(); });
  $$('[data-close]').forEach((b) => b.addEventListener('click', () => {
    const d = b.closest('dialog');
    if (d === el.payDlg && busy) return;
    d.close();
  }));

  // ------------------------------------------------------------------ parked carts
  async function refreshParkedCount() {
    try {
      const res = await api('GET', '/parked-carts?till_id=' + CFG.till_id);
      const n = (res.data.carts || []).length;
      el.parkedCount.textContent = n;
      el.parkedCount.hidden = !n;
      return res.data.carts || [];
    } catch (e) {
      return null;
    }
  }
  function cartContent() {
    return {
      v: 1, lines: state.lines, order_disc: state.order_disc, buyer_name: state.buyer_name,
      buyer_tax_code: state.buyer_tax_code, total_vnd: totals().total,
    };
  }
  function canPark() {
    if (!state.lines.length) { loud(t('park_empty')); return false; }
    if (state.pay.payments.length) { loud(t('park_paid')); return false; }
    return editable();
  }
  function openPark() {
    if (!canPark()) return;
    el.parkLabel.value = '';
    el.parkMsg.hidden = true;
    el.parkOk.disabled = false;
    el.parkDlg.showModal();
    el.parkLabel.focus();
  }
  async function park(label) {
    label = (label || '').trim() || t('auto_label', { time: hhmm() });
    await api('POST', '/parked-carts', { till_id: CFG.till_id, label, content: cartContent() });
    state = fresh();
    changed();
    return label;
  }
  async function parkOk() {
    if (el.parkOk.disabled) return;
    el.parkOk.disabled = true;
    try {
      const label = await park(el.parkLabel.value);
      el.parkDlg.close();
      showMsg(t('parked', { label }), 'ok');
      refreshParkedCount();
    } catch (err) {
      el.parkMsg.textContent = err.message;
      el.parkMsg.hidden = false;
      beep('error');
      el.parkOk.disabled = false;
    }
  }
  el.parkOk.addEventListener('click', parkOk);
  el.parkLabel.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); parkOk(); } });
  $('#btn-park').addEventListener('click', openPark);

  async function openParked() {
    el.parkedMsg.hidden = true;
    el.parkedSwap.hidden = !state.lines.length;
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = t('loading');
    el.parkedList.replaceChildren(li);
    if (!el.parkedDlg.open) el.parkedDlg.showModal();
    const carts = await refreshParkedCount();
    if (carts === null) { el.parkedMsg.textContent = t('network'); el.parkedMsg.hidden = false; el.parkedList.replaceChildren(); return; }
    if (!carts.length) { li.textContent = t('no_parked'); return; }
    el.parkedList.replaceChildren.apply(el.parkedList, carts.map((c) => {
      const row = document.createElement('li');
      const info = document.createElement('div');
      const label = document.createElement('b');
      label.textContent = c.label || t('unnamed');
      const meta = document.createElement('span');
      meta.className = 'muted small';
      const when = new Date(c.created_at);
      meta.textContent = [isNaN(when) ? '' : hhmm(when), t('lines_count', { n: c.lines_count }),
        typeof c.total_vnd === 'number' ? vnd(c.total_vnd) : ''].filter(Boolean).join(' · ');
      info.append(label, meta);
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'btn primary resume';
      b.dataset.id = c.id;
      b.dataset.label = c.label || '';
      b.textContent = t('resume');
      row.append(info, b);
      return row;
    }));
    const first = $('.resume', el.parkedList);
    if (first && !TOUCH) first.focus();
  }
  el.parkedList.addEventListener('click', async (e) => {
    const b = e.target.closest('.resume');
    if (!b || b.disabled) return;
    if (state.lines.length && !canPark()) return;
    if (!editable()) return;
    $$('.resume', el.parkedList).forEach((x) => { x.disabled = true; });
    try {
      if (state.lines.length) await park(''); // swap: the cart on screen is parked first
      const res = await api('POST', '/parked-carts/' + encodeURIComponent(b.dataset.id) + '/resume');
      const c = res.data.content || {};
      const st = fresh();
      st.lines = (Array.isArray(c.lines) ? c.lines : []).filter((l) => l && Number.isInteger(l.product_id) &&
        Number.isInteger(l.qty) && l.qty >= 1 && Number.isInteger(l.price_vnd)).map((l) => Object.assign(
        { key: 'p' + l.product_id, disc: { mode: 'vnd', value: 0 }, stamp_code: null, unit: '' }, l));
      if (c.order_disc && typeof c.order_disc.value === 'number') st.order_disc = c.order_disc;
      st.buyer_name = c.buyer_name || '';
      st.buyer_tax_code = c.buyer_tax_code || '';
      st.selected = st.lines.length ? st.lines[st.lines.length - 1].key : null;
      state = st;
      changed();
      el.parkedDlg.close();
      showMsg(t('resumed', { label: b.dataset.label || t('unnamed') }), 'ok');
    } catch (err) {
      el.parkedMsg.textContent = err.message;
      el.parkedMsg.hidden = false;
      beep('error');
      $$('.resume', el.parkedList).forEach((x) => { x.disabled = false; });
    }
    refreshParkedCount();
  });
  $('#btn-parked').addEventListener('click', openParked);

  // ------------------------------------------------------------------ keyboard shortcuts
  // Pay or park only once the codes already scanned are in the cart (a scan is a request away).
  const afterScans = (fn) => () => { scanChain = scanChain.then(fn).catch(() => {}); };

  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (anyDialogOpen()) return; // each dialog handles its own keys (Esc closes it)
    const actions = {
      F2: afterScans(() => openPay('cash')), F3: afterScans(() => openPay('transfer')),
      F4: afterScans(() => openPay('card')), F6: afterScans(openPark), F8: openParked, F9: () => { el.orderDisc.focus(); el.orderDisc.select(); },
    };
    if (actions[e.key]) { e.preventDefault(); actions[e.key](); return; }
    const target = e.target;
    if (target === el.scan || isField(target)) return; // never take keys from a field being typed in
    if (e.key === '+' || e.key === '-') { e.preventDefault(); bump(e.key === '+' ? 1 : -1); }
    else if (e.key === 'Delete') { e.preventDefault(); removeLine(selectedLine()); }
    else if (e.key === 'Escape') resetSearch();
    else if (e.key.length === 1 && e.key !== ' ') focusScan(true); // a scanner's first digit: into the scan field
  });

  $('#pay-cash').addEventListener('click', afterScans(() => openPay('cash')));
  $('#pay-transfer').addEventListener('click', afterScans(() => openPay('transfer')));
  $('#pay-card').addEventListener('click', afterScans(() => openPay('card')));
  $('#pb-pay').addEventListener('click', afterScans(() => openPay('cash')));
  $('#pending-retry').addEventListener('click', () => { showPay('cash'); submitSale(); });

  window.addEventListener('beforeunload', (e) => {
    if (busy) { e.preventDefault(); e.returnValue = ''; }
  });
  window.addEventListener('online', () => { if (state.pending && !busy) { showPay('cash'); submitSale(); } });

  // ------------------------------------------------------------------ the customer display
  // Once a display is paired (the «Màn hình khách» dialog was opened on this till), each change
  // of the cart or the payment is written to the server, which the display polls twice a second.
  const DISPLAY_KEY = 'fairpos.display.till' + CFG.till_id;
  let displayOn = false;
  try { displayOn = localStorage.getItem(DISPLAY_KEY) === '1'; } catch (e) { /* storage off */ }
  let displayDone = null; // {total_vnd, change_vnd, cash} after a sale, until the next customer
  let displayTimer = null, displaySent = '', displayBusy = false, displayAgain = false;
  function displayState() {
    if (displayDone && !state.lines.length) return { phase: 'done', paid: displayDone };
    const T = totals();
    const lines = T.rows.map((r) => ({ name: r.l.name, qty: r.l.qty, total_vnd: r.net }));
    const qr = state.pay.qr;
    if (el.payDlg.open && method === 'transfer' && qr && qr.payload) {
      return { phase: 'transfer', lines, total_vnd: T.total, discount_vnd: T.discount,
        qr: { payload: qr.payload, amount_vnd: qr.amount_vnd, reference: qr.reference || '' } };
    }
    return { phase: lines.length ? 'cart' : 'idle', lines, total_vnd: T.total, discount_vnd: T.discount };
  }
  function pushDisplay() {
    if (!displayOn) return;
    clearTimeout(displayTimer);
    displayTimer = setTimeout(sendDisplay, 80); // one write for a burst of changes
  }
  async function sendDisplay() {
    if (displayBusy) { displayAgain = true; return; }
    const body = JSON.stringify(displayState());
    if (body === displaySent) return;
    displayBusy = true;
    try {
      const res = await fetch(CFG.display_push_url, { method: 'POST', credentials: 'same-origin', cache: 'no-store',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': CSRF }, body });
      if (res.ok) displaySent = body;
    } catch (e) {
      /* the display waits for the next change; selling never does */
    } finally {
      displayBusy = false;
      if (displayAgain) { displayAgain = false; pushDisplay(); }
    }
  }
  function showDisplayOn() { $('#display-on').hidden = !displayOn; }
  $('#btn-display').addEventListener('click', () => {
    displayOn = true;
    try { localStorage.setItem(DISPLAY_KEY, '1'); } catch (e) { /* storage off: on for this page */ }
    showDisplayOn();
    displaySent = '';
    pushDisplay();
    $('#display-dialog').showModal();
  });
  showDisplayOn();

  // ------------------------------------------------------------------ stock, kept fresh
  // Other tills sell from the same shelf: every few seconds ask what is on hand for the cart and
  // the tiles shown, so a line beyond the shelf turns red before the customer starts paying.
  let stockBusy = false;
  async function refreshStock() {
    if (stockBusy || document.hidden) return;
    const ids = Array.from(new Set(state.lines.map((l) => l.product_id).concat(shown.list.map((p) => p.id)))).slice(0, 100);
    if (!ids.length) return;
    stockBusy = true;
    try {
      const res = await fetch(CFG.on_hand_url + '?ids=' + ids.join(','), { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
      if (!res.ok) return;
      const levels = (await res.json()).on_hand || {};
      let tilesChanged = false;
      const short = [];
      ids.forEach((id) => {
        const n = levels[id];
        if (typeof n !== 'number') return;
        const p = products.get(id);
        if (p && p.on_hand === n) return;
        const line = state.lines.find((l) => l.product_id === id);
        const wasShort = line && p && typeof p.on_hand === 'number' && line.qty > p.on_hand;
        if (line && line.qty > n && !wasShort) short.push({ name: line.name, n });
        if (p) { p.on_hand = n; tilesChanged = tilesChanged || shown.list.some((x) => x.id === id); }
        if (line) line.on_hand = n;
      });
      renderCart();
      if (tilesChanged) renderTiles(shown.list, shown.title, shown.more);
      if (short.length) loud(t('stock_now_short', { name: short[0].name, n: fmtNum(Math.max(short[0].n, 0)) }));
    } catch (e) {
      /* offline for a moment: the checkout still checks stock itself */
    } finally {
      stockBusy = false;
    }
  }
  setInterval(refreshStock, CFG.stock_poll_ms || 3000);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refreshStock(); });

  // ------------------------------------------------------------------ start
  renderCart();
  renderTiles(BEST, t('best_sellers'));
  showLastSale();
  refreshParkedCount();
  if (state.pending) { // the page went away while a checkout was on its way: ask again, same key and content
    showPay('cash');
    submitSale();
  } else {
    focusScan(true);
  }
})();
