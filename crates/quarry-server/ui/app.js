// The app shell: routing by location.pathname, the header search box, the home and login
// pages, keyboard shortcuts, and the syntax help.

import { $, html, setHTML, api, navigate, parseRoute, searchUrl, setTitle, toLogin, ApiError } from './util.js';
import { searchView } from './search.js';
import { blobView } from './fileview.js';
import { repoView, repoList } from './repo.js';

// ---- syntax help, shared by the home page and the help dialog ----

const SYNTAX = [
  ['foo bar', 'files containing both terms; lines matching either are shown'],
  ['"foo bar"', 'the exact text foo bar'],
  ['/foo\\(\\w+\\)/', 'a regular expression (RE2-like syntax)'],
  ['lang:rust', 'language (-lang:python excludes)'],
  ['repo:^linux$', 'repository name matches a regex (-repo: excludes)'],
  ['file:\\.c$', 'path matches a regex (-file:test/ excludes)'],
  ['case:yes', 'case-sensitive (default: insensitive)'],
  ['type:path', 'search only paths (type:file: only contents)'],
  ['select:repo', 'list repositories (select:file: files) instead of lines'],
  ['a OR b', 'boolean operators AND, OR, NOT and ( … )'],
  ['count:all', 'all results (default: 500 lines); count:100'],
  ['timeout:30s', 'time limit (default 10s)'],
];

const EXAMPLES = [
  ['lang:rust fn main', 'Rust entry points'],
  ['/TODO|FIXME/ -file:test', 'to-dos outside tests'],
  ['"#include <stdio.h>" lang:c', 'an exact string in C files'],
  ['file:README type:path', 'README files by name'],
  ['select:repo', 'every repository'],
];

const SHORTCUTS = [['/', 'focus the search box'], ['Esc', 'leave the search box'], ['j / k', 'next / previous result'],
  ['Enter', 'open the focused result'], ['y', 'permalink (file view)'], ['shift-click', 'select a line range (file view)'], ['?', 'this help']];

function syntaxTable() {
  return html`<table class="table syntax"><thead><tr><th scope="col">Query</th><th scope="col">Meaning</th></tr></thead><tbody>${SYNTAX.map(([q, d]) =>
    html`<tr><td><a href="${searchUrl(q)}"><code>${q}</code></a></td><td>${d}</td></tr>`)}</tbody></table>`;
}

function helpDialog() {
  const d = $('#help-dialog');
  setHTML(d, html`<form method="dialog" class="dialog-head"><h2>Search syntax</h2><button class="button small" aria-label="Close">Close</button></form>
    ${syntaxTable()}
    <h2>Keyboard shortcuts</h2><table class="table shortcuts"><tbody>${SHORTCUTS.map(([k, d]) => html`<tr><td><kbd>${k}</kbd></td><td>${d}</td></tr>`)}</tbody></table>`);
  d.addEventListener('click', (e) => { if (e.target.closest('a')) d.close(); });
  return d;
}
const openHelp = () => { const d = $('#help-dialog'); if (!d.open) d.showModal(); };

// ---- pages ----

function homeView(main) {
  setTitle('');
  setHTML(main, html`<div class="home">
    <h1 class="home-title"><span class="logo-mark" aria-hidden="true">◆</span> quarry</h1>
    <p class="tagline">Search all your code, fast.</p>
    <form class="search-form big" id="home-search" role="search" action="/search">
      <label for="home-q" class="visually-hidden">Search query</label>
      <input id="home-q" name="q" type="search" autocomplete="off" spellcheck="false" autocapitalize="off"
        placeholder="Search code…  (press / to focus)" aria-describedby="home-hint">
      <button type="submit" class="button primary">Search</button>
    </form>
    <p id="home-hint" class="muted small">Try <kbd>/</kbd> to focus, <kbd>?</kbd> for help.</p>
    <section class="examples" aria-label="Example queries"><h2>Examples</h2><ul>${EXAMPLES.map(([q, d]) =>
      html`<li><a class="example" href="${searchUrl(q)}"><code>${q}</code></a><span class="muted">${d}</span></li>`)}</ul></section>
    <div class="home-cols">
      <section class="card"><h2>Syntax</h2>${syntaxTable()}</section>
      <section class="card" id="home-repos" aria-label="Repositories"><p class="muted">Loading repositories…</p></section>
    </div>
  </div>`);
  const abort = new AbortController();
  $('#home-search', main).addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('#home-q', main).value.trim();
    if (q) navigate(searchUrl(q));
  });
  repoList($('#home-repos', main), abort.signal);
  return { destroy() { abort.abort(); } };
}

function loginView(main, route) {
  setTitle('Sign in');
  setHTML(main, html`<div class="login-page"><form class="card login" id="login-form" novalidate>
    <h1>Sign in to quarry</h1>
    <p id="login-note" class="muted small"></p>
    <label for="login-user">Username</label>
    <input id="login-user" name="user" autocomplete="username" autocapitalize="off" spellcheck="false" required>
    <label for="login-password">Password</label>
    <input id="login-password" name="password" type="password" autocomplete="current-password" required>
    <div id="login-error" class="form-error" role="alert"></div>
    <button type="submit" class="button primary wide" id="login-submit">Sign in</button>
  </form></div>`);
  const next = route.next && route.next.startsWith('/') && !route.next.startsWith('//') ? route.next : '/';
  if (me && !me.authRequired) setHTML($('#login-note', main), html`This server does not require signing in. <a href="${next}">Continue</a>`);
  if (me && me.user) setHTML($('#login-note', main), html`Signed in as ${me.user.name}. <a href="${next}">Continue</a>`);
  $('#login-user', main).focus();
  $('#login-form', main).addEventListener('submit', async (e) => {
    e.preventDefault();
    const user = $('#login-user', main).value.trim();
    const password = $('#login-password', main).value;
    const err = $('#login-error', main);
    if (!user || !password) { err.textContent = 'Enter your username and password.'; return; }
    const button = $('#login-submit', main);
    button.disabled = true;
    err.textContent = '';
    try {
      await api('/api/login', { method: 'POST', body: { user, password }, allow401: true });
      await loadMe();
      navigate(next, { replace: true });
    } catch (ex) {
      err.textContent = ex instanceof ApiError && ex.status === 401 ? (ex.message || 'Wrong username or password.') : `Sign-in failed: ${ex.message}`;
      $('#login-password', main).select();
    } finally {
      button.disabled = false;
    }
  });
  return { destroy() {} };
}

// ---- who is signed in ----

let me = null;

async function loadMe() {
  try { me = await api('/api/me', { allow401: true }); } catch { me = null; }
  const nav = $('#user');
  if (me && me.user) {
    setHTML(nav, html`<span class="who" title="${me.user.admin ? 'administrator' : 'user'}">${me.user.name}</span>
      <button type="button" class="button small" id="logout">Sign out</button>`);
    $('#logout').addEventListener('click', async () => {
      try { await api('/api/logout', { method: 'POST', allow401: true }); } catch { /* signed out anyway */ }
      await loadMe();
      navigate('/login', { replace: true });
    });
  } else nav.textContent = '';
  return me;
}

// ---- router ----

const VIEWS = { home: homeView, search: searchView, blob: blobView, repo: repoView, login: loginView };
let view = null;

function render() {
  const route = parseRoute();
  if (view && view.update && view.update(route)) return;
  if (view) view.destroy();
  document.body.dataset.view = route.view;
  // The header box keeps the last query on file and repository pages, to refine it from there.
  if (route.view === 'search') $('#q').value = route.q;
  else if (route.view === 'home' || route.view === 'login') $('#q').value = '';
  if (me && me.authRequired && !me.user && route.view !== 'login') { toLogin(); return; }
  const main = $('#main');
  view = VIEWS[route.view](main, route);
  if (!location.hash) window.scrollTo(0, 0);
}

// Same-origin links navigate inside the app.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || /^\/(_ui|api|\.api)\//.test(url.pathname)) return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return; // in-page anchor
  e.preventDefault();
  navigate(url.pathname + url.search + url.hash);
});

$('#top-search').addEventListener('submit', (e) => {
  e.preventDefault();
  const q = $('#q').value.trim();
  if (q) navigate(searchUrl(q));
});
$('#help-button').addEventListener('click', openHelp);

function searchInput() {
  return document.body.dataset.view === 'home' ? $('#home-q') : $('#q');
}

document.addEventListener('keydown', (e) => {
  const t = e.target;
  const typing = t.closest && t.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]');
  if (typing) {
    if (e.key === 'Escape' && t.type === 'search') t.blur();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey || $('#help-dialog').open) return;
  if (e.key === '/') {
    const input = searchInput();
    if (input) { e.preventDefault(); input.focus(); input.setSelectionRange(input.value.length, input.value.length); }
  } else if (e.key === '?') {
    e.preventDefault();
    openHelp();
  } else if (view && view.onKey && view.onKey(e)) {
    e.preventDefault();
  }
});

window.addEventListener('popstate', render);
window.addEventListener('quarry:navigate', render);

helpDialog();
loadMe().then(render);
