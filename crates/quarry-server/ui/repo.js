// The repository page (/<repo name>): branches with their indexed commit, sync status and the
// last error; and the repository list shown on the home page.

import { $, html, raw, sleep, setHTML, api, repoUrl, searchUrl, reEscape, navigate, fmtInt, fmtBytes, timeTag, plural, setTitle, errorBox } from './util.js';

const STATES = {
  idle: ['ok', 'Up to date'],
  syncing: ['info', 'Syncing…'],
  error: ['bad', 'Sync failed'],
};

// sync is null for a repository the server only serves (indexed with `quarry index`).
export function stateBadge(sync) {
  if (!sync) return html`<span class="badge state" data-state="static" title="indexed with quarry index; the server does not sync it">Indexed</span>`;
  const [cls, label] = STATES[sync.state] || ['', sync.state];
  return html`<span class="badge state ${cls}" data-state="${sync.state}">${label}</span>`;
}

// A commit id: git hashes shortened to 12 characters, anything else (e.g. a directory
// snapshot id) shown whole.
export function commitTag(c) {
  return /^[0-9a-f]{40,64}$/.test(c) ? html`<code title="${c}">${c.slice(0, 12)}</code>` : html`<code>${c}</code>`;
}

function branchName(b) { return b.name || '(directory tree)'; }

function branchesTable(repo) {
  const bs = repo.branches || [];
  if (!bs.length) return html`<p class="muted">Not indexed yet.</p>`;
  return html`<table class="table branches">
    <thead><tr><th scope="col">Branch</th><th scope="col">Commit</th><th scope="col">Indexed</th><th scope="col" class="num">Files</th><th scope="col" class="num">Size</th></tr></thead>
    <tbody>${bs.map((b) => html`<tr>
      <td class="branch">${branchName(b)}</td>
      <td class="commit">${b.commit ? commitTag(b.commit) : html`<span class="muted">none (not a git checkout)</span>`}</td>
      <td>${timeTag(b.indexedAt)}</td>
      <td class="num">${fmtInt(b.files)}</td>
      <td class="num">${fmtBytes(b.bytes)}</td>
    </tr>`)}</tbody></table>`;
}

function syncSection(sync) {
  if (!sync) {
    return html`<dl class="facts sync"><dt>Status</dt><dd id="sync-state">${stateBadge(sync)}</dd></dl>
      <p class="muted small">This server serves the index as it is: the repository was indexed with <code>quarry index</code>
      and is not kept in sync. Re-run <code>quarry index</code>, or pass its directory to <code>quarry serve</code>, to update it.</p>`;
  }
  return html`<dl class="facts sync">
    <dt>Status</dt><dd id="sync-state">${stateBadge(sync)}</dd>
    <dt>Last fetch</dt><dd>${timeTag(sync.lastFetchAt)}</dd>
    <dt>Last success</dt><dd>${timeTag(sync.lastSuccessAt)}</dd>
    <dt>Last error</dt><dd>${sync.lastError
      ? html`<div class="notice error compact" id="last-error"><pre>${sync.lastError}</pre>${sync.lastErrorAt ? html`<span class="muted small">${timeTag(sync.lastErrorAt)}</span>` : ''}</div>`
      : html`<span class="muted">none</span>`}</dd>
  </dl>`;
}

export function repoView(main, route) {
  const name = route.repo;
  setTitle(name);
  const scoped = `repo:^${reEscape(name)}$ `;
  setHTML(main, html`<div class="repo-page">
    <header class="page-head"><h1 class="repo-name">${name}</h1><div id="repo-badges"></div></header>
    <form class="scoped-search" role="search" id="repo-search">
      <label for="repo-q" class="visually-hidden">Search in ${name}</label>
      <input id="repo-q" type="search" autocomplete="off" spellcheck="false" placeholder="Search in ${name}…">
      <button type="submit" class="button primary">Search</button>
    </form>
    <div id="repo-body" aria-busy="true"><p class="muted"><span class="spinner" aria-hidden="true"></span> Loading…</p></div>
  </div>`);
  $('#repo-search', main).addEventListener('submit', (e) => {
    e.preventDefault();
    navigate(searchUrl(scoped + $('#repo-q', main).value.trim()));
  });
  const abort = new AbortController();
  let timer = 0;

  const load = () => api(`/api/repos/${encodeURIComponent(name)}`, { signal: abort.signal }).then((r) => {
    const body = $('#repo-body', main);
    body.removeAttribute('aria-busy');
    setHTML($('#repo-badges', main), stateBadge(r.sync));
    setHTML(body, html`
      <section class="card"><h2>Source</h2><p><code class="source">${r.source || (r.sync && r.sync.source) || 'unknown'}</code></p>
        <p><a href="${searchUrl(scoped + 'select:file')}">List all files</a></p></section>
      <section class="card"><h2>Indexed branches</h2>${branchesTable(r)}</section>
      <section class="card"><div class="card-head"><h2>Sync</h2>
        ${r.sync ? html`<button type="button" class="button small" id="sync-now" ${raw(r.sync.state === 'syncing' ? 'disabled' : '')}>Sync now</button>` : ''}</div>
        <p id="sync-message" class="small" role="status"></p>${syncSection(r.sync)}</section>`);
    $('#sync-now', main)?.addEventListener('click', () => syncNow(r));
    clearTimeout(timer);
    if (r.sync && r.sync.state === 'syncing') timer = setTimeout(load, 2000);
  }).catch((e) => {
    if (e.name === 'AbortError') return;
    const body = $('#repo-body', main);
    body.removeAttribute('aria-busy');
    setHTML(body, errorBox(e, e.status === 404 ? `No repository named ${name}` : 'Could not load the repository'));
  });
  // POST .../sync, then poll until the sync has run (its lastFetchAt changes) or 60 s pass.
  const syncNow = async (before) => {
    const button = $('#sync-now', main);
    const msg = $('#sync-message', main);
    button.disabled = true;
    try {
      await api(`/api/repos/${encodeURIComponent(name)}/sync`, { method: 'POST', signal: abort.signal });
      msg.textContent = 'Sync queued…';
      const since = (before.sync && before.sync.lastFetchAt) || 0;
      for (let i = 0; i < 60; i++) {
        await sleep(1000, abort.signal);
        const r = await api(`/api/repos/${encodeURIComponent(name)}`, { signal: abort.signal });
        if (r.sync && r.sync.state !== 'syncing' && (r.sync.lastFetchAt || 0) > since) break;
      }
      await load();
    } catch (e) {
      if (e.name === 'AbortError') return;
      msg.textContent = `Could not sync: ${e.message}`;
      button.disabled = false;
    }
  };
  load();
  return { destroy() { abort.abort(); clearTimeout(timer); } };
}

// The list of repositories on the home page.
export async function repoList(el, signal) {
  try {
    const repos = await api('/api/repos', { signal });
    if (!repos.length) {
      setHTML(el, html`<p class="muted">No repositories yet. Index one with <code>quarry index DIR</code>.</p>`);
      return;
    }
    const SHOW = 50;
    const files = (r) => (r.branches || []).reduce((n, b) => n + (b.files || 0), 0);
    setHTML(el, html`<h2>${plural(repos.length, 'repository', 'repositories')}</h2><ul class="repo-list">${repos.slice(0, SHOW).map((r) => html`<li>
      <a href="${repoUrl(r.name)}">${r.name}</a> ${stateBadge(r.sync)}
      <span class="muted small">${plural(files(r), 'file')}${r.branches && r.branches[0] ? html` · indexed ${timeTag(r.branches[0].indexedAt)}` : ''}</span></li>`)}</ul>
      ${repos.length > SHOW ? html`<p class="muted small">and ${fmtInt(repos.length - SHOW)} more: search with <code>select:repo</code> to find them.</p>` : ''}`);
  } catch (e) {
    if (e.name === 'AbortError' || e.status === 401) return;
    setHTML(el, errorBox(e, 'Could not list repositories'));
  }
}
