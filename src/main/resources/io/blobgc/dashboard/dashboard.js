// blob-gc dashboard: plain JavaScript, no build step, no dependencies. It reads the admin API of the node that
// serves it (same origin) and sends changes with 'Content-Type: application/json' and, when entered, the token.
'use strict';

const STATUSES = ['ACTIVE', 'PINNED', 'UNREFERENCED', 'MARKED_FOR_COLLECTION', 'DELETING'];
const LABEL = {ACTIVE: 'active', PINNED: 'pinned', UNREFERENCED: 'unreferenced', MARKED_FOR_COLLECTION: 'marked',
  DELETING: 'deleting', COLLECTED: 'collected'};
const COLOR = {ACTIVE: '#3fb68b', PINNED: '#a78bfa', UNREFERENCED: '#e3b341', MARKED_FOR_COLLECTION: '#f0883e',
  DELETING: '#f0605a', COLLECTED: '#6e7b8b'};
const NODE_PAGE = 12, DECISION_PAGE = 15, PIN_PAGE = 10, KEEP_CYCLES = 60, RATE_WINDOW_MS = 30000, HISTORY_ROWS = 12;

const $ = id => document.getElementById(id);
const st = {
  summary: null, history: [], perCycle: loadCycles(), samples: [], sweepBase: null, timer: null,
  nodePage: 0, nodeFilter: '', selected: null, decisionPage: 0, dryRun: null, dryPage: 0, pinPage: 0,
  pins: null, lastOk: 0, error: null, histAt: 0, pinsAt: 0
};

// ---------------------------------------------------------------- formatting

function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c]);
}
const int = n => (n ?? 0).toLocaleString('en-US');
function short(n) {
  const a = Math.abs(n);
  if (a >= 1e9) return (n / 1e9).toFixed(1) + 'G';
  if (a >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (a >= 1e4) return (n / 1e3).toFixed(0) + 'k';
  if (a >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return String(Math.round(n * 10) / 10);
}
function bytes(n) {
  if (n < 1024) return Math.round(n) + ' B';
  const u = ['KiB', 'MiB', 'GiB', 'TiB']; let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
  return n.toFixed(n < 10 ? 1 : 0) + ' ' + u[i];
}
function dur(ms) {
  if (ms == null || !isFinite(ms)) return '–';
  if (ms < 10) return (Math.round(ms * 10) / 10) + ' ms';
  if (ms < 1000) return Math.round(ms) + ' ms';
  if (ms < 59500) return (ms / 1000).toFixed(ms < 9950 ? 1 : 0) + ' s';
  const t = Math.round(ms / 1000);
  if (t < 3600) return Math.floor(t / 60) + ' min ' + t % 60 + ' s';
  if (t < 86400) return Math.floor(t / 3600) + ' h ' + Math.floor(t % 3600 / 60) + ' min';
  return Math.floor(t / 86400) + ' d ' + Math.floor(t % 86400 / 3600) + ' h';
}
const ago = t => dur(Date.now() - t) + ' ago';
const when = t => new Date(t).toLocaleString();
const shortHash = h => h.slice(0, 12) + '…';
function nodeName(addr) {   // pekko://blobgc@10.0.0.7:2552#-4711 (address and incarnation) -> 10.0.0.7:2552
  const s = String(addr), i = s.indexOf('@'), j = s.indexOf('#');
  return s.slice(i + 1, j < 0 ? s.length : j);
}
function hashLink(h) {
  return `<button type="button" class="link mono" data-hash="${esc(h)}" title="why is it retained? ${esc(h)}">${esc(shortHash(h))}</button>`;
}
function statusBadge(s) {
  return `<span class="badge st" style="background:${COLOR[s] || '#8592a3'}">${esc(LABEL[s] || s)}</span>`;
}

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(method, path, body) {
  const headers = {'Accept': 'application/json'};
  const opts = {method, headers, cache: 'no-store', credentials: 'same-origin'};
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body ?? {});
    const token = $('token').value.trim();
    if (token) headers['Authorization'] = 'Bearer ' + token;
  }
  let r;
  try {
    r = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(0, 'unreachable', 'this node does not answer (' + e.message + ')');
  }
  let json = null;
  try { json = await r.json(); } catch (e) { /* not JSON */ }
  if (!r.ok) throw new ApiError(r.status, json?.error || 'http_' + r.status, json?.message || r.statusText);
  return json;
}

/** What went wrong with a change, in words an operator can act on; token problems named as such. */
function explain(e) {
  const tokenField = $('token');
  if (e.status === 401) {
    tokenField.classList.add('needed');
    return tokenField.value.trim()
      ? 'The node refused the API token you entered (401 unauthorized): it is not the node\'s blob-gc.http.token. Nothing was changed.'
      : 'This node needs an API token for changes (401 unauthorized). Enter blob-gc.http.token in the "API token" field at the top and try again. Nothing was changed.';
  }
  if (e.status === 403) return 'The node refused the change (403): ' + e.message + '. Open the dashboard from the node\'s own address.';
  if (e.status === 503) return 'The coordinator did not answer (503): ' + e.message;
  return (e.status ? e.status + ' ' + e.code + ': ' : '') + e.message;
}

function showResult(el, html, error) {
  el.className = 'result' + (error ? ' error' : '');
  el.innerHTML = html;
}

// ---------------------------------------------------------------- refresh

async function refresh() {
  try {
    const s = await api('GET', '/v1/summary');
    st.summary = s; st.error = null; st.lastOk = Date.now();
    sample(s);
    const now = Date.now();
    if (!st.history.length || st.history[0].cycle !== s.cycle || now - st.histAt > 15000) {
      st.history = (await api('GET', '/v1/cycles?limit=50')).cycles; st.histAt = now;
    }
    if (now - st.pinsAt > 10000) await loadPins();
  } catch (e) {
    st.error = e;
  }
  render();
}

function schedule() {
  clearTimeout(st.timer);
  const every = +$('refresh').value;
  if (every > 0) st.timer = setTimeout(async () => { await refresh(); schedule(); }, every);
}

/** One sample per refresh (for the sweep rate) and one per cycle (for the charts, kept across reloads). */
function sample(s) {
  const now = Date.now();
  st.samples.push({t: now, collected: s.collected});
  while (st.samples.length > 2 && now - st.samples[0].t > RATE_WINDOW_MS) st.samples.shift();
  const pc = st.perCycle;
  const prev = pc.length ? pc[pc.length - 1] : null;
  if (prev && s.cycle < prev.cycle) pc.length = 0;        // another cluster, or a fresh journal
  if (!prev || s.cycle !== prev.cycle) {
    pc.push({cycle: s.cycle, counts: s.counts, collected: s.collected, bytes: s.collectedBytes, ms: s.lastCycleMs});
    while (pc.length > KEEP_CYCLES) pc.shift();
    try { localStorage.setItem('blobgc.cycles', JSON.stringify(pc)); } catch (e) { /* private mode */ }
  }
  const backlog = (s.counts.MARKED_FOR_COLLECTION || 0) + (s.counts.DELETING || 0);
  if (backlog === 0) st.sweepBase = null;
  else if (st.sweepBase == null) st.sweepBase = s.collected;
}

function loadCycles() {
  try { return JSON.parse(localStorage.getItem('blobgc.cycles')) || []; } catch (e) { return []; }
}

async function loadPins() {
  try {
    st.pins = await api('GET', `/v1/pins?offset=${st.pinPage * PIN_PAGE}&limit=${PIN_PAGE}`);
    st.pinsAt = Date.now();
  } catch (e) {
    st.pins = {error: e};
  }
  renderPins();
}

// ---------------------------------------------------------------- rendering

function render() {
  const s = st.summary;
  const pill = $('state-pill');
  const alerts = [];
  if (st.error) {
    pill.className = 'pill bad'; pill.textContent = st.error.status === 503 ? 'COORDINATOR UNREACHABLE' : 'NODE UNREACHABLE';
    alerts.push(['bad', explain(st.error) + (st.lastOk ? ' · showing what was true ' + ago(st.lastOk) : '')]);
  }
  if (!s) { renderAlerts(alerts); return; }
  const stale = s.nodes.filter(n => n.state === 'STALE');
  if (!st.error) {
    if (s.warmingUp) { pill.className = 'pill warn'; pill.textContent = 'WARMING UP'; }
    else if (s.dryRun) { pill.className = 'pill warn'; pill.textContent = 'DRY RUN'; }
    else if (s.storeFailing) { pill.className = 'pill bad'; pill.textContent = 'STORE FAILING'; }
    else if (s.storeThrottling) { pill.className = 'pill warn'; pill.textContent = 'STORE THROTTLING'; }
    else if (stale.length) { pill.className = 'pill warn'; pill.textContent = 'RUNNING · ' + stale.length + ' STALE'; }
    else { pill.className = 'pill ok'; pill.textContent = 'RUNNING'; }
  }
  if (s.warmingUp) alerts.push(['warn', 'Warming up after a coordinator recovery: nothing is marked until these nodes send a FULL report: '
    + (s.warmUpBlockers.length ? s.warmUpBlockers.map(nodeName).map(esc).join(', ') : '(none left; the next cycle ends it)')]);
  if (stale.length) alerts.push(['warn', stale.length + ' node(s) STALE (no report for a while; their blobs stay protected): '
    + stale.slice(0, 5).map(n => esc(nodeName(n.node))).join(', ') + (stale.length > 5 ? ' …' : '')]);
  if (s.storeFailing) alerts.push(['bad', 'Store failing: the sweeper\'s last delete request failed (' + esc(s.lastStoreError || 'no error given')
    + '). Deletions are retried with backoff until the store answers again.']);
  if (s.storeThrottling) alerts.push(['warn', 'Store throttling: the store pushed back ' + int(s.storeThrottledRequests)
    + ' request(s); the sweeper slowed to ' + short(s.sweepRate) + ' of ' + short(s.sweepRateLimit) + ' deletions/s and climbs back as the store takes its requests.']);
  if (s.failedDeletions > 0) alerts.push(['warn', int(s.failedDeletions) + ' store deletion(s) failed and are retried with backoff (see the node logs).']);
  renderAlerts(alerts);

  $('cycle').textContent = int(s.cycle);
  $('coordinator').textContent = nodeName(s.coordinatorNode);
  $('updated').textContent = st.error ? 'last answer ' + ago(st.lastOk) : 'updated ' + new Date(st.lastOk).toLocaleTimeString();
  for (const k of STATUSES) $('c-' + k).textContent = int(s.counts[k]);
  $('c-collected').textContent = int(s.collected);
  $('c-bytes').textContent = bytes(s.collectedBytes);
  $('c-failed').textContent = int(s.failedDeletions);
  document.querySelector('.stat[data-status="FAILED"]').classList.toggle('has', s.failedDeletions > 0);

  renderCharts();
  renderSweep(s);
  renderCluster(s);
  renderNodes(s);
  renderHistory();
}

function renderAlerts(alerts) {
  $('alerts').innerHTML = alerts.map(([k, html]) => `<div class="alert ${k}">${html}</div>`).join('');
}

function renderCluster(s) {
  $('cl-coordinator').textContent = s.coordinatorNode;
  $('cl-warmup').innerHTML = s.warmingUp
    ? `<span class="badge warn">waiting</span> for ${s.warmUpBlockers.length ? s.warmUpBlockers.map(n => esc(nodeName(n))).join(', ') : 'the next cycle'}`
    : '<span class="badge ok">done</span>';
  $('cl-dryrun').innerHTML = s.dryRun ? '<span class="badge warn">on</span> cycles record what they would collect, nothing is deleted'
    : '<span class="badge ok">off</span>';
  const stale = s.nodes.filter(n => n.state === 'STALE').length;
  $('cl-nodes').textContent = `${s.nodes.length} reporting · ${s.nodes.length - stale} live · ${stale} stale`;
  const l = s.lastCycle;
  $('cl-last').textContent = l ? `#${l.cycle}, ${ago(l.at)}, planned in ${dur(s.lastCycleMs)}` : 'none yet';
  $('cl-partitions').innerHTML = partitionsText(s.partitions || []);
}

/** The partition entities (partition-hosting = sharded): how many, on how many members, which do not answer. */
function partitionsText(ps) {
  if (!ps.length) return '<span class="muted">all in the coordinator</span>';
  const members = new Set(ps.filter(p => p.answered).map(p => p.member));
  const silent = ps.filter(p => !p.answered).map(p => p.partition);
  return `${ps.length} entities on ${members.size} member${members.size === 1 ? '' : 's'} · `
    + (silent.length ? `<span class="badge warn">${silent.length} not answering</span> ${esc(silent.join(', '))}`
      : '<span class="badge ok">all answering</span>');
}

function renderSweep(s) {
  const waiting = s.counts.MARKED_FOR_COLLECTION || 0, deleting = s.counts.DELETING || 0, left = waiting + deleting;
  const a = st.samples[0], b = st.samples[st.samples.length - 1];
  const rate = a && b && b.t > a.t ? (b.collected - a.collected) * 1000 / (b.t - a.t) : 0;
  const done = st.sweepBase == null ? 0 : s.collected - st.sweepBase;
  const total = done + left;
  $('sweep-bar').style.width = (left === 0 ? 100 : total ? 100 * done / total : 0) + '%';
  $('sweep-text').textContent = left === 0 ? 'Nothing waiting to be deleted.'
    : `${int(done)} / ${int(total)} deleted since this sweep began`;
  $('sw-waiting').textContent = int(waiting);
  $('sw-deleting').textContent = int(deleting);
  $('sw-rate').textContent = rate > 0 ? short(rate) + ' blobs/s' : (left ? 'none in the last 30 s' : '–');
  $('sw-failed').textContent = int(s.failedDeletions);
  $('sw-allowed').textContent = s.sweepRateLimit ? short(s.sweepRate) + ' / ' + short(s.sweepRateLimit) + ' deletions/s' : '–';
  $('sw-store').innerHTML = s.storeFailing ? '<span class="badge bad">failing</span> ' + esc(s.lastStoreError || '')
    : s.storeThrottling ? '<span class="badge warn">throttling</span> ' + int(s.storeThrottledRequests) + ' request(s) pushed back'
    : '<span class="badge ok">ok</span>' + (s.storeThrottledRequests ? ' ' + int(s.storeThrottledRequests) + ' request(s) pushed back so far' : '');
  $('sw-orphans').textContent = int(s.orphansFound) + ' / ' + int(s.orphansDeleted);
  $('sw-eta').textContent = left === 0 ? 'done' : rate > 0 ? dur(left / rate * 1000) : 'unknown (no deletions in the last 30 s)';
}

// A node blocks progress when the coordinator waits for it (warm-up), when its view cannot confirm absence
// (incomplete: nothing is marked), or when it is STALE (its blobs stay held).
function blocking(n, s) {
  const why = [];
  if (s.warmUpBlockers.includes(n.node)) why.push('warm-up waits for it');
  if (n.state === 'STALE') why.push('stale: its blobs stay held');
  else if (!n.complete) why.push('no complete view: nothing is marked');
  return why;
}

function renderNodes(s) {
  const nodes = s.nodes.map(n => ({...n, why: blocking(n, s)}))
    .sort((x, y) => y.why.length - x.why.length || y.lastReportAgeMs - x.lastReportAgeMs || x.node.localeCompare(y.node));
  const blockers = nodes.filter(n => n.why.length).length;
  $('nodes-summary').textContent = `${nodes.length} nodes · ${blockers ? blockers + ' blocking progress' : 'none blocking'}`;
  $('node-grid').innerHTML = nodes.map(n => {
    const cls = s.warmUpBlockers.includes(n.node) ? 'blocker' : n.state === 'STALE' ? 'stale' : !n.complete ? 'incomplete' : '';
    return `<span class="${cls}" data-node="${esc(nodeName(n.node))}" title="${esc(nodeName(n.node))} · ${n.state} · report ${dur(n.lastReportAgeMs)} ago · ${n.active} active${n.why.length ? ' · ' + esc(n.why.join('; ')) : ''}"></span>`;
  }).join('');
  const f = st.nodeFilter.toLowerCase();
  const shown = f ? nodes.filter(n => n.node.toLowerCase().includes(f)) : nodes;
  const pages = Math.max(1, Math.ceil(shown.length / NODE_PAGE));
  st.nodePage = Math.min(st.nodePage, pages - 1);
  $('node-rows').innerHTML = shown.slice(st.nodePage * NODE_PAGE, (st.nodePage + 1) * NODE_PAGE).map(n => `
    <tr class="${n.why.length ? 'blocks' : ''}">
      <td class="mono">${esc(nodeName(n.node))}${n.node === s.coordinatorNode ? ' <span class="badge">coordinator</span>' : ''}</td>
      <td><span class="badge ${n.state === 'LIVE' ? 'ok' : 'bad'}">${n.state}</span></td>
      <td class="num">${dur(n.lastReportAgeMs)}</td><td class="num">${int(n.active)}</td><td class="num">${int(n.pinned)}</td>
      <td>${n.why.length ? n.why.map(w => `<span class="badge bad">${esc(w)}</span>`).join('') : '<span class="muted">confirms</span>'}</td>
    </tr>`).join('') || '<tr><td colspan="6" class="muted">no node matches</td></tr>';
  pager('node-pager', st.nodePage, pages, shown.length, p => { st.nodePage = p; renderNodes(st.summary); });
}

function pager(id, page, pages, total, go) {
  const el = $(id);
  if (pages <= 1) { el.innerHTML = total ? `<span>${int(total)}</span>` : ''; return; }
  el.innerHTML = `<button type="button" ${page === 0 ? 'disabled' : ''}>‹</button><span>page ${page + 1} of ${int(pages)} · ${int(total)}</span><button type="button" ${page >= pages - 1 ? 'disabled' : ''}>›</button>`;
  const [prev, next] = el.querySelectorAll('button');
  prev.onclick = () => go(page - 1);
  next.onclick = () => go(page + 1);
}

const busy = c => c.newlyUnreferenced || c.rescuedCount || c.markedCount || c.prunedTombstones || c.dryRun || c.frozen;

function renderHistory() {
  const quiet = $('hide-quiet').checked;
  const all = st.history, rows = (quiet ? all.filter(busy) : all).slice(0, HISTORY_ROWS);
  $('history-note').textContent = quiet ? `${all.length - all.filter(busy).length} of the last ${all.length} cycles changed nothing` : '';
  if (!rows.some(c => c.cycle === st.selected)) { st.selected = rows.find(c => c.markedCount > 0)?.cycle ?? rows[0]?.cycle ?? null; st.decisionPage = 0; }
  $('history-rows').innerHTML = rows.map(c => `
    <tr class="click ${c.cycle === st.selected ? 'sel' : ''}" data-cycle="${c.cycle}">
      <td>#${c.cycle}</td><td title="${esc(when(c.at))}">${ago(c.at)}</td>
      <td>${c.dryRun ? '<span class="badge warn">dry run</span>' : ''}${c.frozen ? '<span class="badge bad">frozen</span>' : ''}${c.warmingUp ? '<span class="badge warn">warm-up</span>' : ''}</td>
      <td class="num">${int(c.newlyUnreferenced)}</td><td class="num">${int(c.rescuedCount)}</td><td class="num">${int(c.markedCount)}</td>
    </tr>`).join('') || `<tr><td colspan="6" class="muted">${all.length ? 'no cycle among the last ' + all.length + ' changed anything' : 'no cycle yet'}</td></tr>`;
  renderDecisions();
}

function renderDecisions() {
  const c = st.history.find(x => x.cycle === st.selected);
  if (!c) { $('decisions-title').textContent = ''; $('decisions-body').innerHTML = '<span class="muted">Select a cycle.</span>'; return; }
  $('decisions-title').textContent = `cycle #${c.cycle}${c.dryRun ? ' (dry run)' : ''}, ${when(c.at)}`;
  const pages = Math.max(1, Math.ceil(c.marked.length / DECISION_PAGE));
  st.decisionPage = Math.min(st.decisionPage, pages - 1);
  const marked = c.marked.slice(st.decisionPage * DECISION_PAGE, (st.decisionPage + 1) * DECISION_PAGE);
  let html = `<p>${int(c.newlyUnreferenced)} newly unreferenced (grace starts) · ${int(c.rescuedCount)} rescued · `
    + `<b>${int(c.markedCount)} ${c.dryRun ? 'would be marked' : 'marked'}</b>`
    + (c.prunedTombstones ? ` · ${int(c.prunedTombstones)} tombstones pruned` : '') + '</p>';
  if (c.confirmedBy.length) html += nodeList('absence confirmed by', c.confirmedBy);
  if (c.staleNodes.length) html += nodeList('stale then:', c.staleNodes);
  if (c.marked.length) {
    html += `<div class="table-tools"><span class="pager" id="decision-pager"></span></div><table class="list"><thead><tr><th>${c.dryRun ? 'would mark' : 'marked'}</th><th>unreferenced since</th></tr></thead><tbody>`
      + marked.map(m => `<tr><td>${hashLink(m.hash)}</td><td>${esc(when(m.unreferencedSince))}</td></tr>`).join('') + '</tbody></table>';
    if (c.markedCount > c.marked.length) html += `<p class="muted">the history keeps the first ${int(c.marked.length)} of ${int(c.markedCount)}</p>`;
  }
  if (c.rescued.length) html += `<p>rescued (collection cancelled): ${c.rescued.slice(0, 20).map(hashLink).join(' ')}${c.rescuedCount > 20 ? ' …' : ''}</p>`;
  $('decisions-body').innerHTML = html;
  if (c.marked.length) pager('decision-pager', st.decisionPage, pages, c.markedCount, p => { st.decisionPage = p; renderDecisions(); });
}

/** A list of nodes that can be 100 long: a count, the names folded away. */
function nodeList(label, nodes) {
  const names = nodes.map(n => esc(nodeName(n))).join(', ');
  return nodes.length <= 4 ? `<p class="muted">${label} ${names}</p>`
    : `<details class="muted"><summary>${label} ${int(nodes.length)} nodes</summary>${names}</details>`;
}

function renderPins() {
  const p = st.pins;
  if (!p) return;
  if (p.error) {
    $('pins-summary').textContent = '';
    $('pin-rows').innerHTML = `<tr><td colspan="5" class="muted">cannot list pins: ${esc(explain(p.error))}</td></tr>`;
    return;
  }
  $('pins-summary').textContent = `${int(p.total)} pin(s)`;
  const pages = Math.max(1, Math.ceil(p.total / PIN_PAGE));
  $('pin-rows').innerHTML = p.pins.map(x => `<tr>
      <td>${hashLink(x.hash)}</td><td>${esc(x.owner)}</td><td>${esc(x.reason)}</td>
      <td>${x.expiresAt ? 'in ' + dur(x.expiresAt - Date.now()) : '<span class="muted">never</span>'}</td>
      <td class="num"><button type="button" class="unpin" data-hash="${esc(x.hash)}" data-owner="${esc(x.owner)}">Unpin</button></td>
    </tr>`).join('') || '<tr><td colspan="5" class="muted">no operator pins</td></tr>';
  pager('pin-pager', st.pinPage, pages, p.total, async page => { st.pinPage = page; await loadPins(); });
}

// ---------------------------------------------------------------- charts (inline SVG)

function renderCharts() {
  const pc = st.perCycle;
  const xs = pc.map(p => p.cycle);
  chart('chart-status', xs, STATUSES.map(k => ({name: LABEL[k], color: COLOR[k], values: pc.map(p => p.counts[k] || 0)})), 'stack', short);
  const collected = pc.map((p, i) => i === 0 ? 0 : Math.max(0, p.collected - pc[i - 1].collected));
  const freed = pc.map((p, i) => i === 0 ? 0 : Math.max(0, p.bytes - pc[i - 1].bytes));
  chart('chart-collected', xs, [{name: 'blobs', color: COLOR.COLLECTED, values: collected, bars: true},
    {name: 'bytes (right axis)', color: '#58a6ff', values: freed, right: true}], 'mixed', short, bytes);
  chart('chart-duration', xs, [{name: 'planning a cycle', color: '#58a6ff', values: pc.map(p => p.ms || 0)}], 'line', v => short(v));
}

function chart(id, xs, series, kind, fmt, fmtRight) {
  const el = $(id);
  const W = Math.max(260, el.clientWidth || 400), H = 150, L = 42, R = fmtRight ? 62 : 8, T = 8, B = 20;
  const w = W - L - R, h = H - T - B;
  let svg = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(el.previousElementSibling?.textContent || '')}">`;
  if (xs.length < 2) {
    el.innerHTML = svg + `<text class="empty" x="${W / 2}" y="${H / 2}" text-anchor="middle">collecting: the chart fills in as cycles run</text></svg>`;
    return;
  }
  const pad = kind === 'mixed' ? w / xs.length / 2 : 0;     // bars keep inside the axes
  const x = i => L + pad + i * (w - 2 * pad) / (xs.length - 1);
  const left = series.filter(s => !s.right), right = series.filter(s => s.right);
  const maxOf = (ss, stacked) => Math.max(1, ...xs.map((_, i) => stacked ? ss.reduce((a, s) => a + s.values[i], 0) : Math.max(0, ...ss.map(s => s.values[i]))));
  const whole = kind !== 'line';                             // counts and bytes: whole-number ticks
  const sl = scale(maxOf(left, kind === 'stack'), whole);
  const maxL = sl.max, maxR = right.length ? niceStep(Math.max(3, maxOf(right, false)) / sl.n, true) * sl.n : 1;
  const y = (v, max) => T + h - v / max * h;
  for (let k = 0; k <= sl.n; k++) {
    const v = sl.step * k, yy = y(v, maxL);
    svg += `<line class="axis" x1="${L}" x2="${L + w}" y1="${yy}" y2="${yy}"/><text x="${L - 6}" y="${yy + 3}" text-anchor="end">${esc(fmt(v))}</text>`;
    if (right.length) svg += `<text x="${L + w + 6}" y="${yy + 3}">${esc(fmtRight(maxR * k / sl.n))}</text>`;
  }
  const step = Math.max(1, Math.ceil(xs.length / 6));
  xs.forEach((c, i) => { if (i % step === 0 || i === xs.length - 1) svg += `<text x="${x(i)}" y="${H - 5}" text-anchor="middle">#${c}</text>`; });
  if (kind === 'stack') {
    const base = xs.map(() => 0);
    for (const s of left) {
      const top = s.values.map((v, i) => base[i] + v);
      const pts = top.map((v, i) => `${x(i)},${y(v, maxL)}`).concat(base.map((v, i) => `${x(i)},${y(v, maxL)}`).reverse());
      svg += `<polygon points="${pts.join(' ')}" fill="${s.color}" fill-opacity=".8"><title>${esc(s.name)}</title></polygon>`;
      top.forEach((v, i) => { base[i] = v; });
    }
  } else {
    const bw = Math.max(1, Math.min(28, w / xs.length * 0.7));
    for (const s of series) {
      const max = s.right ? maxR : maxL;
      if (s.bars) {
        s.values.forEach((v, i) => {
          if (v > 0) svg += `<rect x="${x(i) - bw / 2}" y="${y(v, max)}" width="${bw}" height="${T + h - y(v, max)}" fill="${s.color}"><title>cycle #${xs[i]}: ${esc(fmt(v))} ${esc(s.name)}</title></rect>`;
        });
      } else {
        svg += `<polyline fill="none" stroke="${s.color}" stroke-width="1.8" points="${s.values.map((v, i) => `${x(i)},${y(v, max)}`).join(' ')}"/>`;
        s.values.forEach((v, i) => { svg += `<circle cx="${x(i)}" cy="${y(v, max)}" r="5" fill="transparent"><title>cycle #${xs[i]}: ${esc((s.right ? fmtRight : fmt)(v))}</title></circle>`; });
      }
    }
  }
  el.innerHTML = svg + '</svg>' + `<div class="legend">${series.map(s => `<span><i style="background:${s.color}"></i>${esc(s.name)}</span>`).join('')}</div>`;
}

/** An axis up to at least v: 1, 2, 2.5 or 5 times a power of ten per step, at most 4 steps. */
function scale(v, whole) {
  v = Math.max(v, whole ? 3 : 1e-9);
  const step = niceStep(v / 4, whole), n = Math.max(1, Math.ceil(v / step - 1e-9));
  return {step, n, max: step * n};
}

function niceStep(raw, whole) {
  const p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
  const step = (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
  return whole ? Math.max(1, Math.ceil(step)) : step;
}

// ---------------------------------------------------------------- why is this blob retained?

async function lookup(hex) {
  hex = hex.trim().toLowerCase();
  $('why-hash').value = hex;
  const out = $('why-result');
  if (!/^[0-9a-f]{64}$/.test(hex)) { showResult(out, 'A blob hash is 64 hexadecimal characters.', true); return; }
  showResult(out, 'looking up…');
  let b;
  try {
    b = await api('GET', '/v1/blobs/' + hex);
  } catch (e) {
    showResult(out, e.status === 404 ? 'This node\'s coordinator does not know this blob: it was never registered, or it was collected and its tombstone pruned.' : esc(explain(e)), true);
    return;
  }
  // the dependents that keep it: those that are themselves held
  const deps = await Promise.all(b.dependents.slice(0, 20).map(d => api('GET', '/v1/blobs/' + d).then(x => x, () => null)));
  const keeping = deps.filter(d => d && (d.status === 'ACTIVE' || d.status === 'PINNED'));
  const reasons = [];
  if (b.referencedBy.length) reasons.push(`used by ${b.referencedBy.length} node(s): ${b.referencedBy.map(n => esc(nodeName(n))).join(', ')}`);
  for (const p of b.pins) reasons.push(`pinned by <b>${esc(p.owner)}</b>${p.reason ? ' (' + esc(p.reason) + ')' : ''}, ${p.expiresAt ? 'expires ' + esc(when(p.expiresAt)) : 'no expiry'}`);
  if (b.nodePinnedBy.length) reasons.push(`node-pinned by ${b.nodePinnedBy.map(n => esc(nodeName(n))).join(', ')}`);
  for (const d of keeping) reasons.push(`called by ${hashLink(d.hash)}, which is ${esc(LABEL[d.status])}`);
  let verdict;
  switch (b.status) {
    case 'ACTIVE': case 'PINNED':
      verdict = reasons.length ? 'Retained because:' : 'Held: the next cycle re-evaluates it (its holders may just have let go).'; break;
    case 'UNREFERENCED':
      verdict = `Nobody holds it since ${esc(when(b.unreferencedSince))} (${ago(b.unreferencedSince)}): it is in its grace period, then every live node must confirm it absent before it is marked.`; break;
    case 'MARKED_FOR_COLLECTION':
      verdict = `Marked for collection in cycle #${b.markedCycle}: it is deleted once every live node has reported again without it.`; break;
    case 'DELETING':
      verdict = `Being deleted from the store since ${esc(when(b.deletionStartedAt))}.`; break;
    case 'COLLECTED':
      verdict = `Collected at ${esc(when(b.collectedAt))} (marked in cycle #${b.markedCycle}); only its tombstone is left.`; break;
    default: verdict = esc(b.status);
  }
  showResult(out, `<div class="verdict">${statusBadge(b.status)} ${verdict}</div>`
    + (reasons.length ? '<ul>' + reasons.map(r => `<li>${r}</li>`).join('') + '</ul>' : '')
    + `<div class="muted mono">${esc(b.hash)}</div>`
    + (b.dependencies.length ? `<div class="muted">calls: ${b.dependencies.map(hashLink).join(' ')}</div>` : '')
    + (b.dependents.length ? `<div class="muted">called by ${int(b.dependents.length)}: ${b.dependents.slice(0, 10).map(hashLink).join(' ')}${b.dependents.length > 10 ? ' …' : ''}</div>` : ''));
  out.dataset.status = b.status;
}

// ---------------------------------------------------------------- changes

async function runCycle(dry) {
  const out = $('cycle-result');
  const buttons = [$('btn-dry'), $('btn-cycle')];
  buttons.forEach(b => { b.disabled = true; });
  showResult(out, dry ? 'dry run…' : 'running a cycle…');
  try {
    const c = await api('POST', '/v1/cycles?dryRun=' + dry, {});
    $('token').classList.remove('needed');
    st.dryRun = c; st.dryPage = 0;
    renderCycleResult();
    refresh();
  } catch (e) {
    showResult(out, esc(explain(e)), true);
  } finally {
    buttons.forEach(b => { b.disabled = false; });
  }
}

function renderCycleResult() {
  const c = st.dryRun, out = $('cycle-result');
  const pages = Math.max(1, Math.ceil(c.marked.length / DECISION_PAGE));
  const flags = (c.frozen ? ' <span class="badge bad">frozen: too few live nodes, nothing changes</span>' : '')
    + (c.warmingUp ? ' <span class="badge warn">warming up: nothing is marked yet</span>' : '');
  let html = `<div class="verdict">Cycle #${c.cycle}${c.dryRun ? ' (dry run)' : ''}: ${int(c.marked.length)} blob(s) ${c.dryRun ? 'would be marked' : 'marked'}${flags}</div>`
    + `<div class="muted">${int(c.unreferenced.length)} newly unreferenced · ${int(c.rescued.length)} rescued · ${int(c.expiredPins.length)} pins expired</div>`;
  if (c.marked.length) {
    html += `<div class="table-tools"><span class="pager" id="dry-pager"></span></div><table class="list" id="dry-marked"><tbody>`
      + c.marked.slice(st.dryPage * DECISION_PAGE, (st.dryPage + 1) * DECISION_PAGE)
        .map(m => `<tr><td class="mono" data-marked="${esc(m.hash)}">${hashLink(m.hash)}</td><td class="muted">unreferenced since ${esc(when(m.unreferencedSince))}</td></tr>`).join('')
      + '</tbody></table>';
  }
  showResult(out, html);
  if (c.marked.length) pager('dry-pager', st.dryPage, pages, c.marked.length, p => { st.dryPage = p; renderCycleResult(); });
}

async function pin(ev) {
  ev.preventDefault();
  const out = $('pin-result');
  const hex = $('pin-hash').value.trim().toLowerCase(), owner = $('pin-owner').value.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) { showResult(out, 'A blob hash is 64 hexadecimal characters.', true); return; }
  if (!owner) { showResult(out, 'A pin needs an owner: only its owner (or its ttl) removes it.', true); return; }
  const body = {owner, reason: $('pin-reason').value.trim()};
  if ($('pin-ttl').value.trim()) body.ttl = $('pin-ttl').value.trim();
  try {
    await api('PUT', '/v1/pins/' + hex, body);
    $('token').classList.remove('needed');
    showResult(out, `Pinned ${esc(shortHash(hex))} for ${esc(owner)}.`);
    $('pin-hash').value = '';
    await loadPins();
  } catch (e) {
    showResult(out, esc(explain(e)), true);
  }
}

async function unpin(hex, owner) {
  const out = $('pin-result');
  try {
    await api('DELETE', `/v1/pins/${hex}?owner=${encodeURIComponent(owner)}`, {});
    $('token').classList.remove('needed');
    showResult(out, `Unpinned ${esc(shortHash(hex))} (owner ${esc(owner)}).`);
    await loadPins();
  } catch (e) {
    showResult(out, esc(explain(e)), true);
  }
}

// ---------------------------------------------------------------- wiring

document.addEventListener('click', e => {
  const h = e.target.closest('[data-hash]');
  if (h && h.classList.contains('unpin')) { unpin(h.dataset.hash, h.dataset.owner); return; }
  if (h) { lookup(h.dataset.hash); $('why').scrollIntoView({behavior: 'smooth', block: 'nearest'}); return; }
  const row = e.target.closest('tr[data-cycle]');
  if (row) { st.selected = +row.dataset.cycle; st.decisionPage = 0; renderHistory(); return; }
  const node = e.target.closest('[data-node]');
  if (node) { $('node-filter').value = st.nodeFilter = node.dataset.node; st.nodePage = 0; renderNodes(st.summary); }
});
$('why-form').addEventListener('submit', e => { e.preventDefault(); lookup($('why-hash').value); });
$('pin-form').addEventListener('submit', pin);
$('btn-dry').addEventListener('click', () => runCycle(true));
$('btn-cycle').addEventListener('click', () => runCycle(false));
$('node-filter').addEventListener('input', e => { st.nodeFilter = e.target.value; st.nodePage = 0; if (st.summary) renderNodes(st.summary); });
$('refresh').addEventListener('change', schedule);
$('hide-quiet').addEventListener('change', renderHistory);
$('token').value = sessionStorage.getItem('blobgc.token') || '';
$('token').addEventListener('input', e => { e.target.classList.remove('needed'); sessionStorage.setItem('blobgc.token', e.target.value); });
window.addEventListener('resize', () => { if (st.summary) renderCharts(); });
if (location.hash.startsWith('#blob=')) lookup(location.hash.slice(6));
refresh().then(schedule);
