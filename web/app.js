// SPDX-License-Identifier: Apache-2.0
// lucent console: the screener's bag view (both views, modes, zoom and pan,
// clear/search, TIP feedback), the supervisor's statistics and accounts, and
// the auditor's event history. Plain JS against the JSON API (docs/api.md);
// the session lives in an HttpOnly cookie, the CSRF token in memory only.
'use strict';

const $ = (id) => document.getElementById(id);
const state = {
  me: null, csrf: '', modes: ['colour'], mode: 0,
  bag: null, queue: [], lastId: 0, polling: false, busy: false, feedback: false,
  zoom: 1, fit: 1, panX: 0, panY: 0, tab: 'screen', eventsBefore: 0, pollGen: 0,
};
window.lucent = state; // for tests and the load script's browser checks

async function api(method, path, body) {
  const opt = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    opt.headers['Content-Type'] = 'application/json';
    opt.body = JSON.stringify(body);
  }
  if (method !== 'GET' && state.csrf) opt.headers['X-CSRF-Token'] = state.csrf;
  const r = await fetch(path, opt);
  let data = null;
  if (r.status !== 204) { try { data = await r.json(); } catch (e) { data = null; } }
  if (r.status === 401 && path !== '/api/login') { showLogin(); }
  return { status: r.status, data };
}

function show(id) {
  for (const s of ['login', 'screen', 'supervise', 'events']) $(s).hidden = s !== id;
  for (const b of document.querySelectorAll('nav button')) b.classList.toggle('active', b.dataset.tab === id);
  state.tab = id;
}

function showLogin() {
  state.me = null; state.csrf = ''; state.pollGen++;
  $('tabs').hidden = true; $('logout').hidden = true; $('who').textContent = '';
  show('login');
  $('login-user').focus();
}

async function start() {
  const r = await api('GET', '/api/me');
  if (r.status !== 200) { showLogin(); return; }
  await loggedIn(r.data);
}

async function loggedIn(me) {
  state.me = me; state.csrf = me.csrf;
  $('who').textContent = `${me.user} · ${me.role}`;
  $('logout').hidden = false; $('tabs').hidden = false;
  const screens = me.role === 'screener' || me.role === 'supervisor';
  const supervises = me.role === 'supervisor' || me.role === 'admin';
  const audits = me.role === 'auditor' || me.role === 'admin';
  $('tab-screen').hidden = !screens; $('tab-supervise').hidden = !supervises; $('tab-events').hidden = !audits;
  const cfg = await api('GET', '/api/config');
  if (cfg.status === 200) { state.modes = cfg.data.modes; state.config = cfg.data; buildModes(); }
  if (screens) {
    show('screen');
    state.lastId = Math.max(0, (cfg.data && cfg.data.latest_id || 0) - 20);
    state.queue = []; state.bag = null; renderBag();
    poll();
  } else if (supervises) { openSupervise(); } else { openEvents(); }
}

// ------------------------------------------------------------ screening

function buildModes() {
  const box = $('modes'); box.textContent = '';
  state.modes.forEach((m, i) => {
    const b = document.createElement('button');
    b.innerHTML = `<kbd>${i + 1}</kbd> `; b.append(m);
    b.dataset.mode = i; b.id = `mode-${m}`;
    b.addEventListener('click', () => setMode(i));
    box.append(b);
  });
  markMode();
}
function markMode() {
  for (const b of $('modes').children) b.setAttribute('aria-pressed', String(Number(b.dataset.mode) === state.mode));
}
function setMode(i) {
  if (i < 0 || i >= state.modes.length) return;
  state.mode = i; markMode(); loadImages();
}

async function poll() {
  const gen = ++state.pollGen;
  while (gen === state.pollGen && state.me) {
    let r;
    try { r = await api('GET', `/api/bags/next?after=${state.lastId}&wait=20&pending=1`); }
    catch (e) { $('status').textContent = 'connection lost, retrying…'; await sleep(2000); continue; }
    if (gen !== state.pollGen) return;
    if (r.status === 200) {
      $('status').textContent = 'connected';
      state.lastId = r.data.id;
      r.data.receivedAt = Date.now();
      state.queue.push(r.data);
      if (state.queue.length > 200) state.queue.shift();
      if (!state.bag && !state.feedback) nextBag();
      updateQueue();
    } else if (r.status === 204) {
      $('status').textContent = 'connected';
    } else if (r.status === 401) { return; }
    else { $('status').textContent = `error ${r.status}`; await sleep(2000); }
  }
}
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

function updateQueue() {
  $('queue').textContent = state.queue.length ? `${state.queue.length} bag(s) waiting` : 'no bags waiting';
}

function nextBag() {
  state.bag = state.queue.shift() || null;
  updateQueue();
  renderBag();
}

function renderBag() {
  const bag = state.bag;
  $('waiting').hidden = !!bag;
  $('btn-clear').disabled = !bag; $('btn-search').disabled = !bag;
  for (let v = 0; v < 2; v++) $(`view${v}`).hidden = !bag;
  if (!bag) { $('bag-id').textContent = '—'; $('bag-meta').textContent = ''; $('bag-alarms').textContent = ''; return; }
  $('bag-id').textContent = bag.scan_id;
  $('bag-meta').textContent = `arrived ${new Date(bag.acquired_us / 1000).toLocaleTimeString()}`;
  $('bag-alarms').textContent = bag.erased ? bag.erased : bag.alarms.length ? `${bag.alarms.length} machine alarm(s)` : 'no machine alarm';
  $('bag-alarms').className = bag.alarms.length || bag.erased ? 'alarm' : 'muted';
  state.zoom = 0; // fit on load
  loadImages();
}

function loadImages() {
  const bag = state.bag;
  if (!bag) return;
  bag.views.slice(0, 2).forEach((v, i) => {
    const el = $(`view${i}`), img = el.querySelector('img');
    el.querySelector('.vlabel').textContent = `${v.label} · ${state.modes[state.mode]}`;
    img.width = v.width; img.height = v.height;
    img.onload = () => {
      if (!bag.shownAt) { bag.shownAt = Date.now(); document.body.dataset.shownBag = String(bag.id); }
      if (state.zoom === 0) fitZoom();
      applyTransform();
    };
    img.src = `/api/bags/${bag.id}/views/${i}.png?mode=${state.modes[state.mode]}`;
    drawBoxes(el.querySelector('svg'), v, bag, i);
  });
}

function drawBoxes(svg, v, bag, view) {
  svg.setAttribute('width', v.width); svg.setAttribute('height', v.height);
  svg.setAttribute('viewBox', `0 0 ${v.width} ${v.height}`);
  svg.textContent = '';
  const add = (b, cls, colour, label) => {
    const ns = 'http://www.w3.org/2000/svg';
    if (label) {
      const t = document.createElementNS(ns, 'text');
      t.setAttribute('x', b[0] + 2); t.setAttribute('y', Math.max(12, b[1] - 4));
      t.setAttribute('fill', colour); t.setAttribute('font-size', '13'); t.setAttribute('font-weight', '600');
      t.textContent = label;
      svg.append(t);
      // keep a long label (class, score, Zeff, mass) inside the image
      const w = t.getComputedTextLength ? t.getComputedTextLength() : 0;
      if (w > 0 && b[0] + 2 + w > v.width - 2) t.setAttribute('x', Math.max(2, v.width - 2 - w));
    }
    const r = document.createElementNS(ns, 'rect');
    r.setAttribute('x', b[0]); r.setAttribute('y', b[1]);
    r.setAttribute('width', Math.max(1, b[2] - b[0])); r.setAttribute('height', Math.max(1, b[3] - b[1]));
    r.setAttribute('fill', 'none'); r.setAttribute('stroke', colour); r.setAttribute('stroke-width', '3');
    if (cls === 'tip') r.setAttribute('stroke-dasharray', '8 4');
    r.setAttribute('class', cls);
    svg.append(r);
  };
  for (const a of bag.alarms) if (a.view === view) add(a.box, 'alarm', '#ff6b6b', a.label);
  if (bag.tip && bag.tip.boxes) for (const t of bag.tip.boxes) if (t.view === view) add(t.box, 'tip', '#ff4d6d', `TIP: ${bag.tip.threat}`);
}

function fitZoom() {
  const bag = state.bag; if (!bag) return;
  const el = $('view0'), v = bag.views[0];
  state.fit = Math.min(el.clientWidth / v.width, el.clientHeight / v.height);
  state.zoom = state.fit;
  state.panX = (el.clientWidth - v.width * state.zoom) / 2;
  state.panY = (el.clientHeight - v.height * state.zoom) / 2;
}

function applyTransform() {
  for (let i = 0; i < 2; i++) {
    const st = $(`view${i}`).querySelector('.stage');
    st.style.transform = `translate(${state.panX}px, ${state.panY}px) scale(${state.zoom})`;
  }
  $('zoom-level').textContent = state.fit ? `${Math.round(100 * state.zoom / state.fit)} %` : '';
}

function zoomBy(f) {
  if (!state.bag) return;
  const el = $('view0'), cx = el.clientWidth / 2, cy = el.clientHeight / 2;
  const nz = Math.min(Math.max(state.zoom * f, state.fit * 0.5), state.fit * 16);
  state.panX = cx - (cx - state.panX) * nz / state.zoom;
  state.panY = cy - (cy - state.panY) * nz / state.zoom;
  state.zoom = nz; applyTransform();
}
function pan(dx, dy) { state.panX += dx; state.panY += dy; applyTransform(); }

async function decide(decision) {
  const bag = state.bag;
  if (!bag || state.busy || state.feedback) return;
  state.busy = true;
  $('btn-clear').disabled = true; $('btn-search').disabled = true;
  try {
    const r = await api('POST', `/api/bags/${bag.id}/decision`, { decision });
    if (r.status === 200 && r.data.tip) {
      bag.tip = r.data.tip;
      showFeedback(r.data.tip);
      loadImages();
      return;
    }
    if (r.status !== 200 && r.status !== 409) { $('status').textContent = (r.data && r.data.error) || `error ${r.status}`; }
    nextBag();
  } finally { state.busy = false; if (state.bag && !state.feedback) { $('btn-clear').disabled = false; $('btn-search').disabled = false; } }
}

function showFeedback(tip) {
  state.feedback = true;
  $('feedback').hidden = false;
  $('feedback').classList.toggle('hit', tip.hit);
  $('feedback-msg').textContent = tip.message;
  $('feedback-ok').focus();
}
function ackFeedback() {
  if (!state.feedback) return;
  state.feedback = false; $('feedback').hidden = true;
  nextBag();
}

// --------------------------------------------------------------- supervisor

const pct = (x) => (x === null || x === undefined ? '—' : `${(100 * x).toFixed(1)} %`);
const num = (x, d = 2) => (x === null || x === undefined ? '—' : Number(x).toFixed(d));

function cell(tr, text, cls) { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.append(td); return td; }

async function openSupervise() {
  show('supervise');
  $('sup-msg').textContent = '';
  const [s, u, c] = await Promise.all([api('GET', '/api/stats'), api('GET', '/api/users'), api('GET', '/api/config')]);
  if (s.status === 200) {
    const tb = $('tbl-screeners').tBodies[0]; tb.textContent = '';
    for (const r of s.data.screeners) {
      const tr = document.createElement('tr');
      cell(tr, r.user); cell(tr, r.decisions, 'num'); cell(tr, r.tip_presented, 'num'); cell(tr, r.tip_hits, 'num');
      cell(tr, pct(r.hit_rate), 'num'); cell(tr, r.clean_bags, 'num'); cell(tr, r.false_alarms, 'num');
      cell(tr, pct(r.false_alarm_rate), 'num'); cell(tr, num(r.dprime), 'num'); cell(tr, `${num(r.mean_decision_s, 1)} s`, 'num');
      tr.dataset.user = r.user;
      tb.append(tr);
    }
    const t = s.data.totals, cards = $('totals'); cards.textContent = '';
    const add = (label, v) => { const d = document.createElement('div'); d.className = 'card'; const b = document.createElement('b'); b.textContent = v; d.append(b, label); cards.append(d); };
    add('bags', t.scans); add('pending', t.pending); add('searched', t.searched); add('cleared', t.cleared); add('erased', t.erased || 0);
    add('TIP shown', t.tip_presented); add('machine alarms', t.atr_alarm_scans);
    add('bags / hour', t.bags_per_hour === null ? '—' : Math.round(t.bags_per_hour));
    add('processing', t.mean_process_ms === null ? '—' : `${Math.round(t.mean_process_ms)} ms`);
    // Bags per hour over the last 24 hours, oldest on the left.
    const bars = $('hours'); bars.textContent = '';
    const max = Math.max(1, ...s.data.hours.map((h) => h.scans));
    const hourUs = 3600e6, start = Date.now() * 1000 - 24 * hourUs;
    const slots = new Array(24).fill(0);
    for (const h of s.data.hours) { const k = Math.floor((h.hour_start_us - start) / hourUs + 0.5); if (k >= 0 && k < 24) slots[k] += h.scans; }
    slots.forEach((n, k) => { const d = document.createElement('div'); d.style.height = `${100 * n / max}%`; d.title = `${new Date((start + k * hourUs) / 1000).toLocaleTimeString()}: ${n} bags`; bars.append(d); });
  }
  if (c.status === 200) {
    $('tip-share').value = c.data.tip_share;
    const a = c.data.atr, p = a.sensitivity;
    $('atr-point').textContent = a.enabled
      ? `Machine recognition: on, operating point explosive ${p.explosive}, weapon ${p.weapon}, dense ${p.dense} (set where the station starts; higher alarms more).`
      : 'Machine recognition: off (the station was started with --no-atr).';
  }
  if (u.status === 200) renderUsers(u.data.users);
}

// Accounts: an admin manages every account, a supervisor screener accounts
// (the station enforces the same rules). Nobody changes their own role or
// disables themselves.
function renderUsers(users) {
  const tb = $('tbl-users').tBodies[0]; tb.textContent = '';
  const admin = state.me.role === 'admin';
  const change = async (name, body) => {
    const r = await api('POST', `/api/users/${encodeURIComponent(name)}`, body);
    $('sup-msg').textContent = r.status === 200 ? '' : (r.data && r.data.error) || `error ${r.status}`;
    openSupervise();
  };
  for (const u of users) {
    const tr = document.createElement('tr');
    tr.dataset.user = u.name;
    cell(tr, u.name);
    const self = u.name === state.me.user;
    const manageable = !self && (admin || u.role === 'screener');
    const roleTd = cell(tr, admin && !self ? '' : u.role);
    if (admin && !self) {
      const sel = document.createElement('select');
      for (const r of ['screener', 'supervisor', 'auditor', 'admin']) {
        const o = document.createElement('option'); o.textContent = r; o.selected = r === u.role; sel.append(o);
      }
      sel.setAttribute('aria-label', `role of ${u.name}`);
      sel.addEventListener('change', () => change(u.name, { role: sel.value }));
      roleTd.append(sel);
    }
    cell(tr, u.active ? 'yes' : 'no');
    const td = cell(tr, '');
    if (manageable) {
      const b = document.createElement('button');
      b.textContent = u.active ? 'Disable' : 'Enable';
      b.addEventListener('click', () => change(u.name, { active: !u.active }));
      const pw = document.createElement('input');
      pw.type = 'password'; pw.placeholder = 'new password'; pw.autocomplete = 'new-password';
      pw.setAttribute('aria-label', `new password for ${u.name}`);
      const set = document.createElement('button');
      set.textContent = 'Set password';
      set.addEventListener('click', () => { if (pw.value) { const v = pw.value; pw.value = ''; change(u.name, { password: v }); } });
      td.append(b, ' ', pw, ' ', set);
    }
    tb.append(tr);
  }
}

// ------------------------------------------------------------------ events

async function openEvents(more) {
  show('events');
  if (!more) { state.eventsBefore = 0; $('tbl-events').tBodies[0].textContent = ''; }
  const r = await api('GET', `/api/events?limit=100${state.eventsBefore ? `&before=${state.eventsBefore}` : ''}`);
  if (r.status !== 200) return;
  const tb = $('tbl-events').tBodies[0];
  for (const e of r.data.events) {
    const tr = document.createElement('tr');
    cell(tr, e.id, 'num'); cell(tr, new Date(e.t / 1000).toISOString().replace('T', ' ').slice(0, 19));
    cell(tr, e.kind); cell(tr, e.actor);
    const rest = Object.fromEntries(Object.entries(e).filter(([k]) => !['id', 't', 'kind', 'actor', 'v'].includes(k)));
    cell(tr, JSON.stringify(rest), 'detail');
    tb.append(tr);
    state.eventsBefore = e.id;
  }
  $('events-more').disabled = r.data.events.length < 100;
}

// ------------------------------------------------------------------ wiring

function wire() {
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('login-msg').textContent = '';
    const r = await api('POST', '/api/login', { user: $('login-user').value, password: $('login-pw').value });
    $('login-pw').value = '';
    if (r.status === 200) { await loggedIn(r.data); return; }
    $('login-msg').textContent = r.status === 429 ? 'Too many failed attempts. Wait and try again.' : 'Wrong account name or password.';
  });
  $('logout').addEventListener('click', async () => { await api('POST', '/api/logout', {}); showLogin(); });
  $('btn-clear').addEventListener('click', () => decide('clear'));
  $('btn-search').addEventListener('click', () => decide('search'));
  $('feedback-ok').addEventListener('click', ackFeedback);
  $('zoom-in').addEventListener('click', () => zoomBy(1.25));
  $('zoom-out').addEventListener('click', () => zoomBy(0.8));
  $('zoom-reset').addEventListener('click', () => { fitZoom(); applyTransform(); });
  $('tab-screen').addEventListener('click', () => { show('screen'); });
  $('tab-supervise').addEventListener('click', () => openSupervise());
  $('tab-events').addEventListener('click', () => openEvents());
  $('events-more').addEventListener('click', () => openEvents(true));
  $('tip-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/api/config', { tip_share: Number($('tip-share').value) });
    $('sup-msg').textContent = r.status === 200 ? '' : (r.data && r.data.error) || `error ${r.status}`;
  });
  $('user-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/api/users', { name: $('nu-name').value, role: $('nu-role').value, password: $('nu-pw').value });
    $('nu-pw').value = '';
    $('sup-msg').textContent = r.status === 201 ? '' : (r.data && r.data.error) || `error ${r.status}`;
    if (r.status === 201) { $('nu-name').value = ''; openSupervise(); }
  });
  // Drag to pan, wheel to zoom, on either view (both move together).
  for (let i = 0; i < 2; i++) {
    const el = $(`view${i}`);
    let drag = null;
    el.addEventListener('pointerdown', (e) => { drag = { x: e.clientX, y: e.clientY }; el.setPointerCapture(e.pointerId); });
    el.addEventListener('pointermove', (e) => { if (drag) { pan(e.clientX - drag.x, e.clientY - drag.y); drag = { x: e.clientX, y: e.clientY }; } });
    el.addEventListener('pointerup', () => { drag = null; });
    el.addEventListener('wheel', (e) => { e.preventDefault(); zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15); }, { passive: false });
  }
  window.addEventListener('resize', () => { if (state.bag) { fitZoom(); applyTransform(); } });
  document.addEventListener('keydown', (e) => {
    if (state.tab !== 'screen' || !state.me || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
    const k = e.key;
    if (state.feedback) { if (k === 'Enter' || k === ' ' || k === 'Escape') { e.preventDefault(); ackFeedback(); } return; }
    if (k === 'c' || k === 'C') decide('clear');
    else if (k === 's' || k === 'S') decide('search');
    else if (k >= '1' && k <= '9') setMode(Number(k) - 1);
    else if (k === '+' || k === '=') zoomBy(1.25);
    else if (k === '-' || k === '_') zoomBy(0.8);
    else if (k === '0') { fitZoom(); applyTransform(); }
    else if (k === 'ArrowLeft') pan(60, 0);
    else if (k === 'ArrowRight') pan(-60, 0);
    else if (k === 'ArrowUp') pan(0, 60);
    else if (k === 'ArrowDown') pan(0, -60);
    else return;
    e.preventDefault();
  });
}

wire();
start();
