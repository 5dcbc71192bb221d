// The search results page: reads the server's event stream (Sourcegraph's shapes), renders
// results incrementally as they arrive, the filters sidebar, progress, skipped reasons, alerts.

import {
  $, $$, html, raw, esc, setHTML, blobUrl, repoUrl, searchUrl, navigate, toLogin,
  retryAfterSeconds, waitBusy, fmtInt, plural, setTitle,
} from './util.js';
import { highlightLine, renderLine, codePointRanges } from './highlight.js';
import { traceHTML } from './trace.js';

const DISPLAY_LIMIT = 1500; // matches the server sends; what Sourcegraph's web UI asks for
const LINES_PER_FILE = 10; // matching lines shown per file before "show more"
const MORE_LINES_STEP = 200;
const FILES_PER_PAGE = 100; // files rendered before the user scrolls further
const FILES_PER_FRAME = 40;
const MAX_SNIPPET = 400; // characters of a very long line shown around its first match

// ---- Server-Sent Events over fetch (so that 401 and 429 can be seen) ----

async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let m;
    while ((m = /\r?\n\r?\n/.exec(buf))) {
      const block = buf.slice(0, m.index);
      buf = buf.slice(m.index + m[0].length);
      let event = 'message';
      const data = [];
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith(':')) continue;
        const c = line.indexOf(':');
        const field = c < 0 ? line : line.slice(0, c);
        const v = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
        if (field === 'event') event = v;
        else if (field === 'data') data.push(v);
      }
      if (!data.length) continue;
      let parsed;
      try { parsed = JSON.parse(data.join('\n')); } catch { continue; }
      if (onEvent(event, parsed) === false) return;
    }
  }
}

// Runs one search; handlers: event(name, data), busy(seconds|null), fail(message, status).
async function runStream(q, trace, h, signal) {
  const params = { q, display: String(DISPLAY_LIMIT) };
  if (trace) params.trace = '1';
  const url = '/.api/search/stream?' + new URLSearchParams(params);
  for (let attempt = 0; ; attempt++) {
    const resp = await fetch(url, { headers: { Accept: 'text/event-stream' }, credentials: 'same-origin', signal });
    if (resp.status === 429 && attempt < 30) { await waitBusy(retryAfterSeconds(resp), signal, h.busy); continue; }
    if (resp.status === 401) { toLogin(); return 'auth'; }
    const ct = resp.headers.get('Content-Type') || '';
    if (!ct.includes('text/event-stream')) {
      const text = await resp.text();
      let msg;
      try { msg = JSON.parse(text).error; } catch { msg = null; }
      h.fail(msg || `${resp.status} ${resp.statusText}${text ? ': ' + text.slice(0, 300) : ''}`, resp.status);
      return 'failed';
    }
    let sawDone = false;
    await readEvents(resp.body, (name, data) => {
      if (name === 'done') { sawDone = true; h.event(name, data); return false; }
      h.event(name, data);
      return true;
    });
    return sawDone ? 'done' : 'cut';
  }
}

// ---- query editing for filters ----

const hasTerm = (q, v) => (' ' + q + ' ').includes(' ' + v + ' ');
function toggleTerm(q, v) {
  if (hasTerm(q, v)) return (' ' + q + ' ').replace(' ' + v + ' ', ' ').trim().replace(/\s+/g, ' ');
  return (q.trim() + ' ' + v).trim();
}

// ---- rendering of one result ----

function matchCount(m) {
  let n = (m.pathMatches || []).length;
  for (const l of m.lineMatches || []) n += (l.offsetAndLengths || []).length;
  for (const c of m.chunkMatches || []) n += (c.ranges || []).length;
  return n;
}

function revOf(m) {
  return (m.branches && m.branches[0]) || '';
}

function pathHTML(m) {
  const path = m.path || '';
  const marks = codePointRanges(path, (m.pathMatches || []).map((r) => [r.start.column, r.end.column - r.start.column]));
  const slash = path.lastIndexOf('/');
  return renderLine(path, slash >= 0 ? [[0, slash + 1, 'dir']] : [], marks);
}

// Line matches from lineMatches, or derived from chunkMatches when only those are sent.
function linesOf(m) {
  if (m.lineMatches) return [...m.lineMatches].sort((a, b) => a.lineNumber - b.lineNumber);
  const out = [];
  for (const c of m.chunkMatches || []) {
    const lines = c.content.split('\n');
    lines.forEach((text, k) => {
      const ln = c.contentStart.line + k;
      const ranges = c.ranges.filter((r) => r.start.line <= ln && r.end.line >= ln).map((r) => {
        const s = r.start.line === ln ? r.start.column : 0;
        const e = r.end.line === ln ? r.end.column : [...text].length;
        return [s, e - s];
      });
      out.push({ line: text, lineNumber: ln, offsetAndLengths: ranges });
    });
  }
  return out;
}

function snippetHTML(text, language, ranges) {
  text = text.replace(/\r$/, '');
  let marks = codePointRanges(text, ranges || []);
  if (text.length <= MAX_SNIPPET) return highlightLine(text, language, marks);
  const first = marks.length ? marks[0][0] : 0;
  let start = Math.max(0, first - 80);
  if (/[\uDC00-\uDFFF]/.test(text[start] || '')) start--;
  let end = Math.min(text.length, start + MAX_SNIPPET);
  if (/[\uDC00-\uDFFF]/.test(text[end] || '')) end++;
  marks = marks.filter(([s, e]) => e > start && s < end).map(([s, e]) => [Math.max(s, start) - start, Math.min(e, end) - start]);
  return (start > 0 ? '<span class="ellipsis">…</span>' : '') +
    highlightLine(text.slice(start, end), language, marks) +
    (end < text.length ? '<span class="ellipsis">…</span>' : '');
}

function linesHTML(m, lines, from, to) {
  const rev = revOf(m);
  let out = '';
  for (let k = from; k < to; k++) {
    const l = lines[k];
    const n = l.lineNumber + 1;
    const href = blobUrl(m.repository, m.path, { rev, line: n });
    const gap = k > 0 && lines[k - 1].lineNumber + 1 < l.lineNumber ? ' gap' : '';
    out += `<div class="line${gap}" data-href="${esc(href)}" data-line="${n}"><a class="ln" href="${esc(href)}" tabindex="-1" aria-label="line ${n}">${n}</a><code class="code">${snippetHTML(l.line || '', m.language, l.offsetAndLengths)}</code></div>`;
  }
  return out;
}

function resultElement(m) {
  const el = document.createElement('article');
  el.className = 'result';
  if (m.type === 'repo') {
    setHTML(el, html`<header class="result-head"><span class="icon" aria-hidden="true">▣</span>
      <a class="path repo-only" href="${repoUrl(m.repository)}">${m.repository}</a><span class="badge">repository</span></header>`);
    return el;
  }
  if (m.type !== 'content' && m.type !== 'path') { // symbol, commit, ...: not produced by quarry
    setHTML(el, html`<header class="result-head"><a class="repo" href="${repoUrl(m.repository || '')}">${m.repository || ''}</a>
      <span class="badge">${m.type} result</span>${m.path ? html`<span class="path">${m.path}</span>` : ''}</header>`);
    return el;
  }
  const lines = m.type === 'content' ? linesOf(m) : [];
  const firstLine = lines.length ? lines[0].lineNumber + 1 : undefined;
  const count = matchCount(m);
  setHTML(el, html`<header class="result-head">
      <a class="repo" href="${repoUrl(m.repository)}">${m.repository}</a><span class="sep" aria-hidden="true">›</span>
      <a class="path" href="${blobUrl(m.repository, m.path, { rev: revOf(m), line: firstLine })}">${raw(pathHTML(m))}</a>
      ${m.language ? html`<span class="badge">${m.language}</span>` : ''}
      <span class="count">${m.type === 'path' ? 'path match' : plural(count, 'match', 'matches')}</span>
    </header>`);
  if (lines.length) {
    const box = document.createElement('div');
    box.className = 'snippet';
    box.style.setProperty('--ln', String(lines[lines.length - 1].lineNumber + 1).length + 'ch');
    const shown = Math.min(lines.length, LINES_PER_FILE);
    box.innerHTML = linesHTML(m, lines, 0, shown);
    el.append(box);
    if (shown < lines.length) {
      const more = document.createElement('button');
      more.type = 'button';
      more.className = 'more-lines';
      let at = shown;
      const label = () => {
        const rest = lines.length - at;
        more.textContent = rest > MORE_LINES_STEP
          ? `Show ${fmtInt(MORE_LINES_STEP)} more matching lines (${fmtInt(rest)} hidden)`
          : `Show ${plural(rest, 'more matching line')}`;
      };
      label();
      more.addEventListener('click', () => {
        const to = Math.min(lines.length, at + MORE_LINES_STEP);
        box.insertAdjacentHTML('beforeend', linesHTML(m, lines, at, to));
        at = to;
        if (at >= lines.length) more.remove(); else label();
      });
      el.append(more);
    }
  }
  return el;
}

// ---- the page ----

export function searchView(main, route) {
  const q = route.q;
  setTitle(q ? `${q} – search` : 'Search');
  setHTML(main, html`<div class="search-page">
    <aside class="filters" aria-label="Filter results"><div id="filters"></div></aside>
    <section class="results-col" aria-label="Search results">
      <div class="progress-row"><div id="progress" class="progress" role="status" aria-live="polite"></div>
        <a id="explain-toggle" class="explain-toggle" href="${searchUrl(q, { trace: !route.trace })}"
          title="${route.trace ? 'Hide the search trace' : 'Show how the search ran: stage timings, plan, slowest shards'}">${route.trace ? 'Hide explanation' : 'Explain'}</a></div>
      <div id="alert"></div>
      <div id="skipped"></div>
      <div id="trace"></div>
      <div id="results" class="results" data-state="loading"></div>
      <div id="results-footer"></div>
    </section>
  </div>`);
  const results = $('#results', main);
  const footer = $('#results-footer', main);
  const abort = new AbortController();
  const s = { matches: [], received: 0, rendered: 0, limit: FILES_PER_PAGE, progress: null, filters: [], alert: null, done: false, error: null, busy: null, frame: 0 };

  if (!q.trim()) {
    results.dataset.state = 'done';
    setHTML(results, html`<div class="notice">Type a query in the search box above. Press <kbd>?</kbd> for the syntax.</div>`);
    return { destroy() {} };
  }

  const renderFrame = () => {
    s.frame = 0;
    const frag = document.createDocumentFragment();
    const to = Math.min(s.matches.length, s.limit, s.rendered + FILES_PER_FRAME);
    for (; s.rendered < to; s.rendered++) frag.append(resultElement(s.matches[s.rendered]));
    results.append(frag);
    if (s.rendered < Math.min(s.matches.length, s.limit)) schedule();
    renderFooter();
    updateState();
  };
  // data-state: loading, streaming, or done (the stream ended and what is due is on screen).
  const updateState = () => {
    const pending = s.rendered < Math.min(s.matches.length, s.limit);
    results.dataset.state = s.done && !pending ? 'done' : s.matches.length ? 'streaming' : 'loading';
  };
  const schedule = () => { if (!s.frame) s.frame = requestAnimationFrame(renderFrame); };

  const renderFooter = () => {
    const hidden = s.matches.length - s.rendered;
    if (hidden > 0 && s.rendered >= s.limit) {
      setHTML(footer, html`<button type="button" class="show-more-results" id="show-more-results">Show more results (${plural(hidden, 'file')} not shown yet)</button>`);
      observer.observe($('#show-more-results', footer));
    } else if (s.done && !s.matches.length && !s.alert && !s.error) {
      setHTML(footer, html`<div class="notice empty"><strong>No results</strong>
        <p>Nothing matches <code>${q}</code>. Check the spelling, remove filters, or try a regular expression (<code>/pattern/</code>).</p></div>`);
    } else footer.textContent = '';
  };
  const showMore = () => { s.limit = s.rendered + FILES_PER_PAGE; schedule(); };
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) showMore();
  }, { rootMargin: '600px' });
  footer.addEventListener('click', (e) => { if (e.target.id === 'show-more-results') showMore(); });

  const renderProgress = () => {
    const p = s.progress;
    const el = $('#progress', main);
    if (s.busy) { setHTML(el, html`<span class="spinner" aria-hidden="true"></span> Server busy, retrying in ${s.busy}s…`); return; }
    if (!p && !s.done) { setHTML(el, html`<span class="spinner" aria-hidden="true"></span> Searching…`); return; }
    const count = p ? p.matchCount : 0;
    const more = p && p.skipped && p.skipped.length ? '+' : '';
    const parts = [];
    if (p && p.repositoriesCount != null) parts.push(`from ${plural(p.repositoriesCount, 'repository', 'repositories')}`);
    const shown = s.matches.length;
    if (s.done && s.alert && !shown) { el.textContent = ''; return; }
    if (s.done) {
      const secs = p ? (p.durationMs / 1000).toFixed(2) : '0';
      const partial = s.received < count ? html` (${fmtInt(s.received)} shown: narrow the query to see the others)` : '';
      setHTML(el, html`<strong>${fmtInt(count)}${more}</strong> ${count === 1 && !more ? 'result' : 'results'} in ${secs}s ${parts.join(' ')}${shown ? html` <span class="muted">· ${plural(shown, 'file')}${partial}</span>` : ''}`);
    } else {
      setHTML(el, html`<span class="spinner" aria-hidden="true"></span> Searching… <strong>${fmtInt(count)}</strong> results so far`);
    }
    renderSkipped();
  };

  const renderSkipped = () => {
    const sk = (s.progress && s.progress.skipped) || [];
    const el = $('#skipped', main);
    if (!sk.length) { el.textContent = ''; return; }
    const warn = sk.some((x) => x.severity === 'warn' || x.severity === 'error');
    setHTML(el, html`<details class="skipped ${warn ? 'warn' : ''}" ${raw(s.done && warn ? 'open' : '')}>
      <summary>${sk.length === 1 ? sk[0].title : `Some results were skipped (${sk.length} reasons)`}</summary>
      <ul>${sk.map((x) => html`<li>${sk.length > 1 ? html`<strong>${x.title}</strong> ` : ''}<span>${x.message}</span>
        ${x.suggested ? html`<a class="button small" href="${searchUrl(toggleTerm(q, x.suggested.queryExpression))}">${x.suggested.title || x.suggested.queryExpression}</a>` : ''}</li>`)}</ul>
    </details>`);
  };

  const renderFilters = () => {
    const el = $('#filters', main);
    const groups = [['lang', 'Language'], ['repo', 'Repository'], ['file', 'Path']];
    const known = new Set(groups.map((g) => g[0]));
    const other = s.filters.filter((f) => !known.has(f.kind));
    if (other.length) groups.push(['_other', 'More']);
    const byKind = (k) => (k === '_other' ? other : s.filters.filter((f) => f.kind === k));
    setHTML(el, html`${groups.map(([kind, title]) => {
      const fs = byKind(kind);
      if (!fs.length) return '';
      return html`<section class="filter-group" data-kind="${kind}"><h2>${title}</h2><ul>${fs.map((f) => {
        const on = hasTerm(q, f.value);
        const count = f.count != null ? fmtInt(f.count) + (f.exhaustive === false || f.limitHit ? '+' : '') : '';
        return html`<li><a class="filter${on ? ' active' : ''}" href="${searchUrl(toggleTerm(q, f.value))}" data-value="${f.value}" title="${on ? 'Remove' : 'Add'} ${f.value}" aria-label="${f.label || f.value}: ${count} results${on ? ' (active filter: select to remove)' : ''}"><span class="label">${f.label || f.value}</span><span class="count">${count}</span></a></li>`;
      })}</ul></section>`;
    })}`);
  };

  const renderAlert = () => {
    const a = s.alert;
    const el = $('#alert', main);
    if (!a) { el.textContent = ''; return; }
    const desc = a.description || '';
    setHTML(el, html`<div class="notice alert" role="alert"><strong class="alert-title">${a.title}</strong>
      ${desc ? (desc.includes('\n') ? html`<pre class="alert-description">${desc}</pre>` : html`<p class="alert-description">${desc}</p>`) : ''}
      ${a.proposedQueries && a.proposedQueries.length ? html`<p>Did you mean:</p><ul class="proposed">${a.proposedQueries.map((p) => html`<li><a href="${searchUrl(p.query)}"><code>${p.query}</code></a>${p.description ? html` — ${p.description}` : ''}</li>`)}</ul>` : ''}
    </div>`);
  };

  const renderError = (message, status) => {
    const el = $('#alert', main);
    const box = document.createElement('div');
    box.className = 'notice error';
    box.setAttribute('role', 'alert');
    setHTML(box, html`<strong>Search failed${status ? ` (HTTP ${status})` : ''}</strong><p>${message}</p><button type="button" class="button small retry">Retry</button>`);
    $('.retry', box).addEventListener('click', () => navigate(location.pathname + location.search, { replace: true }));
    el.append(box);
  };

  const finish = () => {
    s.done = true;
    updateState();
    renderProgress();
    renderFilters();
    renderFooter();
  };

  renderProgress();
  runStream(q, route.trace, {
    event(name, data) {
      switch (name) {
        case 'matches':
          for (const m of data) { s.matches.push(m); s.received += matchCount(m); }
          schedule();
          break;
        case 'progress': s.progress = data; renderProgress(); break;
        case 'filters': s.filters = Array.isArray(data) ? data : []; renderFilters(); break;
        case 'alert': s.alert = data; renderAlert(); break;
        case 'trace': setHTML($('#trace', main), traceHTML(data)); break;
        case 'error': s.error = data.message || 'unknown error'; renderError(s.error); break;
        case 'done': finish(); break;
        default: break;
      }
    },
    busy(secs) { s.busy = secs; renderProgress(); },
    fail(message, status) { s.error = message; renderError(message, status); finish(); },
  }, abort.signal).then((how) => {
    if (how === 'cut') { renderError('The connection to the server was lost before the search finished; the results may be incomplete.'); finish(); }
  }).catch((e) => {
    if (e.name === 'AbortError') return;
    renderError(`Could not reach the server: ${e.message}`);
    finish();
  });

  // Clicking anywhere on a result line opens the file there (unless text is being selected).
  results.addEventListener('click', (e) => {
    const line = e.target.closest('.line');
    if (!line || e.target.closest('a')) return;
    if (String(getSelection())) return;
    if (e.ctrlKey || e.metaKey || e.button === 1) { window.open(line.dataset.href, '_blank'); return; }
    navigate(line.dataset.href);
  });

  return {
    destroy() { abort.abort(); observer.disconnect(); cancelAnimationFrame(s.frame); },
    // j/k move between results; Enter follows the focused link (native).
    onKey(e) {
      if (e.key !== 'j' && e.key !== 'k') return false;
      const links = $$('.result-head .path', results);
      if (!links.length) return true;
      const i = links.indexOf(document.activeElement);
      const next = e.key === 'j' ? Math.min(links.length - 1, i + 1) : Math.max(0, i < 0 ? 0 : i - 1);
      links[next].focus();
      links[next].closest('.result').scrollIntoView({ block: 'nearest' });
      return true;
    },
  };
}
