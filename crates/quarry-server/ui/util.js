// Shared helpers: HTML escaping, URLs of repositories and files, the API client (401 -> login,
// 429 -> wait and retry), navigation, and formatting.

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// The only way untrusted text reaches innerHTML.
export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]);
}

// Tagged template: html`<a href="${url}">${text}</a>` escapes every interpolation except values
// wrapped in raw(), which must come from esc() or the highlighter.
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => {
    if (Array.isArray(v)) out += v.map((x) => (x instanceof Raw ? x.s : esc(x))).join('');
    else out += v instanceof Raw ? v.s : esc(v);
    out += strings[i + 1];
  });
  return new Raw(out);
}
class Raw { constructor(s) { this.s = s; } toString() { return this.s; } }
export const raw = (s) => new Raw(String(s));

export function setHTML(el, r) { el.innerHTML = r instanceof Raw ? r.s : esc(r); }

export function $(sel, root = document) { return root.querySelector(sel); }
export function $$(sel, root = document) { return [...root.querySelectorAll(sel)]; }

// ---- URLs ----

// Encodes one path segment, keeping characters that are safe and readable in a path.
function seg(s) {
  return encodeURIComponent(s).replace(/%(40|2B|3A|2C|3D|21|24|28|29|2A)/g, (m) => decodeURIComponent(m));
}
const segs = (s) => s.split('/').map(seg).join('/');

export function repoUrl(repo) { return '/' + segs(repo); }

export function blobUrl(repo, path, { rev, line, lineEnd } = {}) {
  let u = repoUrl(repo) + '/-/blob/' + segs(path);
  if (rev) u += '?rev=' + encodeURIComponent(rev);
  if (line) u += '#L' + line + (lineEnd && lineEnd !== line ? '-' + lineEnd : '');
  return u;
}

// With `trace`, the page asks the server to explain the search (trace=1).
export function searchUrl(q, { trace } = {}) {
  return '/search?' + new URLSearchParams(trace ? { q, trace: '1' } : { q }).toString();
}

// Decodes a location path into a route.
export function parseRoute(loc = location) {
  const p = loc.pathname;
  if (p === '/' || p === '') return { view: 'home' };
  if (p === '/search') {
    const sp = new URLSearchParams(loc.search);
    return { view: 'search', q: sp.get('q') || '', trace: sp.get('trace') === '1' };
  }
  if (p === '/login') return { view: 'login', next: new URLSearchParams(loc.search).get('next') || '/' };
  const dec = (s) => s.split('/').map((x) => { try { return decodeURIComponent(x); } catch { return x; } }).join('/');
  const i = p.indexOf('/-/blob/');
  if (i > 0) {
    return {
      view: 'blob',
      repo: dec(p.slice(1, i)),
      path: dec(p.slice(i + '/-/blob/'.length)),
      rev: new URLSearchParams(loc.search).get('rev') || '',
    };
  }
  const t = p.indexOf('/-/');
  return { view: 'repo', repo: dec(p.slice(1, t > 0 ? t : undefined).replace(/\/+$/, '')) };
}

// Escapes regex metacharacters, for repo:^name$ filters.
export function reEscape(s) { return s.replace(/[\\.+*?()|[\]{}^$#&\-~ ]/g, '\\$&'); }

// ---- navigation (the router in app.js listens) ----

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new Event('quarry:navigate'));
}

// ---- API ----

export class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// Sends the user to the login page, coming back here afterwards.
export function toLogin() {
  if (location.pathname === '/login') return;
  navigate('/login?next=' + encodeURIComponent(location.pathname + location.search + location.hash), { replace: true });
}

// "Server busy" notice shown while waiting out a 429.
export function busyNotice(seconds) {
  let el = document.getElementById('busy');
  if (!el) return;
  if (seconds == null) { el.hidden = true; return; }
  el.hidden = false;
  el.textContent = `Server busy, retrying in ${seconds}s…`;
}

export function retryAfterSeconds(resp) {
  const n = parseInt(resp.headers.get('Retry-After') || '', 10);
  return Math.min(Math.max(Number.isFinite(n) ? n : 1, 1), 60);
}

export const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); reject(new DOMException('aborted', 'AbortError')); }, { once: true });
});

// Waits out a 429, counting down in the busy notice (or through onTick).
export async function waitBusy(seconds, signal, onTick = busyNotice) {
  for (let s = seconds; s > 0; s--) { onTick(s); await sleep(1000, signal); }
  onTick(null);
}

// fetch + JSON with the server's error convention. 401 sends the user to the login page.
export async function api(path, { method = 'GET', body, signal, allow401 = false } = {}) {
  for (let attempt = 0; ; attempt++) {
    const resp = await fetch(path, {
      method,
      signal,
      credentials: 'same-origin',
      headers: body ? { 'Content-Type': 'application/json', Accept: 'application/json' } : { Accept: 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (resp.status === 429 && attempt < 20) { await waitBusy(retryAfterSeconds(resp), signal); continue; }
    let data = null;
    const text = await resp.text();
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    if (resp.ok) return data;
    const message = (data && data.error) || `${resp.status} ${resp.statusText || 'error'}${text && !data ? ': ' + text.slice(0, 200) : ''}`;
    if (resp.status === 401 && !allow401) toLogin();
    throw new ApiError(resp.status, message);
  }
}

// ---- formatting ----

export const fmtInt = (n) => (Number(n) || 0).toLocaleString('en-US');

export function fmtBytes(n) {
  n = Number(n) || 0;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) { n /= 1024; u++; }
  return (u === 0 ? n : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[u];
}

// Accepts ms since the epoch, or an RFC 3339 string.
export function toDate(t) {
  if (t == null || t === '' || t === 0) return null;
  const d = typeof t === 'number' ? new Date(t < 1e11 ? t * 1000 : t) : new Date(t);
  return isNaN(d) ? null : d;
}

export function fmtAgo(t) {
  const d = toDate(t);
  if (!d) return 'never';
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} seconds ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'} ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} hour${h === 1 ? '' : 's'} ago`;
  const days = Math.round(h / 24);
  return `${days} days ago`;
}

// <time> with relative text and the absolute time as a tooltip.
export function timeTag(t) {
  const d = toDate(t);
  if (!d) return html`<span class="muted">never</span>`;
  return html`<time datetime="${d.toISOString()}" title="${d.toLocaleString()}">${fmtAgo(t)}</time>`;
}

export function plural(n, one, many = one + 's') { return `${fmtInt(n)} ${n === 1 ? one : many}`; }

export function setTitle(s) { document.title = s ? `${s} · quarry` : 'quarry'; }

export function errorBox(err, what) {
  const status = err && err.status ? ` (HTTP ${err.status})` : '';
  return html`<div class="notice error" role="alert"><strong>${what}${status}</strong><p>${err && err.message ? err.message : String(err)}</p></div>`;
}
