/* The customer display: polls the till's small state and draws it. No framework, works offline. */
(function () {
  'use strict';
  const $ = (s) => document.querySelector(s);
  const CFG = JSON.parse(document.getElementById('display-config').textContent);
  const vnd = (n) => String(Math.trunc(n || 0)).replace(/\B(?=(\d{3})+(?!\d))/g, '.') + ' ₫';
  let version = -1;
  let failures = 0;

  function show(phase) {
    ['idle', 'cart', 'transfer', 'done'].forEach((p) => { $('#d-' + p).hidden = p !== phase; });
  }

  function draw(s) {
    const phase = ['idle', 'cart', 'transfer', 'done'].indexOf(s.phase) >= 0 ? s.phase : 'idle';
    show(phase);
    if (phase === 'cart') {
      const items = (s.lines || []).map((l, i, all) => {
        const li = document.createElement('li');
        if (i === all.length - 1) li.className = 'last';
        const name = document.createElement('span');
        name.textContent = l.name;
        const total = document.createElement('b');
        total.textContent = vnd(l.total_vnd);
        const qty = document.createElement('span');
        qty.className = 'q';
        qty.textContent = '× ' + l.qty;
        li.append(name, total, qty);
        return li;
      });
      $('#d-lines').replaceChildren.apply($('#d-lines'), items);
      const last = $('#d-lines li.last');
      if (last) last.scrollIntoView({ block: 'nearest' });
      $('#d-total').textContent = vnd(s.total_vnd);
      $('#d-discount').hidden = !s.discount_vnd;
      $('#d-discount b').textContent = '−' + vnd(s.discount_vnd);
    } else if (phase === 'transfer' && s.qr) {
      $('#d-qr').innerHTML = s.qr.svg; // the booth server's own SVG, drawn from the VietQR payload
      $('#d-qr-amount').textContent = vnd(s.qr.amount_vnd);
      $('#d-qr-ref').textContent = s.qr.reference || '';
    } else if (phase === 'done' && s.paid) {
      $('#d-paid-total').textContent = vnd(s.paid.total_vnd);
      $('#d-change-box').hidden = !s.paid.cash;
      $('#d-change').textContent = vnd(s.paid.change_vnd);
    }
  }

  async function poll() {
    try {
      const res = await fetch(CFG.state_url, { cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error(String(res.status));
      const s = await res.json();
      failures = 0;
      $('#d-offline').hidden = true;
      if (s.version !== version) { version = s.version; draw(s); }
    } catch (e) {
      failures += 1;
      if (failures >= 4) $('#d-offline').hidden = false; // two seconds without the till: say so, keep trying
    }
    setTimeout(poll, CFG.poll_ms || 500);
  }
  poll();
})();
