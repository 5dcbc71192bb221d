// The file view: /<repo>/-/blob/<path>?rev=R#L10-20. Syntax highlighting, line anchors
// (click a line number; shift-click for a range), a permalink that pins the commit.

import { $, html, setHTML, api, blobUrl, repoUrl, navigate, plural, fmtBytes, setTitle, errorBox } from './util.js';
import { fileHighlighter } from './highlight.js';
import { commitTag } from './repo.js';

const LINES_PER_FRAME = 2000;
const LINES_PER_BLOCK = 500; // lines in one content-visibility block (skipped by layout while off screen)
const MAX_LINES = 20000; // lines rendered before "show the rest"

// #L10, #L10-20 (also GitHub's #L10-L20) -> {start, end}, or null.
export function parseLineHash(hash) {
  const m = /^#L(\d+)(?:-L?(\d+))?$/.exec(hash || '');
  if (!m) return null;
  const a = +m[1];
  const b = m[2] ? +m[2] : a;
  return { start: Math.min(a, b), end: Math.max(a, b) };
}

const lineHash = (sel) => (sel ? `#L${sel.start}${sel.end !== sel.start ? '-' + sel.end : ''}` : '');

function breadcrumbs(repo, path, rev) {
  const parts = path.split('/');
  return html`<nav class="crumbs" aria-label="File path"><a class="repo" href="${repoUrl(repo)}">${repo}</a>${parts.map((p, i) =>
    html`<span class="sep" aria-hidden="true">/</span>${i === parts.length - 1 ? html`<strong class="file">${p}</strong>` : html`<span>${p}</span>`}`)}
    ${rev ? html`<span class="badge rev" title="revision">@${rev.length === 40 ? rev.slice(0, 12) : rev}</span>` : ''}</nav>`;
}

export function blobView(main, route) {
  const { repo, path, rev } = route;
  setTitle(`${path} – ${repo}`);
  setHTML(main, html`<div class="file-page">
    <header class="file-head">${breadcrumbs(repo, path, rev)}<div class="file-meta" id="file-meta"></div></header>
    <div id="file-body" class="file-body" aria-busy="true"><p class="muted loading"><span class="spinner" aria-hidden="true"></span> Loading ${path}…</p></div>
  </div>`);
  const abort = new AbortController();
  let sel = parseLineHash(location.hash);
  let anchor = sel ? sel.start : 0; // where a shift-click range starts
  let lines = [];
  let rendered = 0;
  let limit = Math.max(MAX_LINES, sel ? sel.end + 1000 : 0);
  let frame = 0;
  let scrolled = false;
  let highlight = null;
  let data = null;
  let code = null;

  const applySelection = () => {
    if (!code) return;
    for (const el of code.querySelectorAll('.l.sel')) el.classList.remove('sel');
    if (!sel) return;
    for (let n = sel.start; n <= Math.min(sel.end, rendered); n++) document.getElementById('L' + n)?.classList.add('sel');
    if (!scrolled && rendered >= sel.start) {
      scrolled = true;
      document.getElementById('L' + sel.start)?.scrollIntoView({ block: 'center' });
    }
  };

  const renderChunk = () => {
    frame = 0;
    const to = Math.min(lines.length, limit, rendered + LINES_PER_FRAME);
    // Lines go into blocks of LINES_PER_BLOCK (content-visibility: auto skips off-screen ones).
    for (let i = rendered; i < to;) {
      const end = Math.min(to, (Math.floor(i / LINES_PER_BLOCK) + 1) * LINES_PER_BLOCK);
      let out = '';
      for (let k = i; k < end; k++) {
        const n = k + 1;
        out += `<div class="l" id="L${n}"><a class="ln" href="#L${n}" data-n="${n}" aria-label="line ${n}">${n}</a><span class="c">${highlight(lines[k])}</span></div>`;
      }
      if (i % LINES_PER_BLOCK) code.lastElementChild.insertAdjacentHTML('beforeend', out);
      else code.insertAdjacentHTML('beforeend', `<div class="block">${out}</div>`);
      i = end;
    }
    rendered = to;
    applySelection();
    if (rendered < Math.min(lines.length, limit)) frame = requestAnimationFrame(renderChunk);
    else renderRest();
  };

  const renderRest = () => {
    const rest = $('#file-rest', main);
    if (rendered >= lines.length) { rest.textContent = ''; return; }
    setHTML(rest, html`<button type="button" class="button" id="show-rest">Show the remaining ${plural(lines.length - rendered, 'line')}</button>`);
    $('#show-rest', rest).addEventListener('click', () => { limit = lines.length; rest.textContent = ''; renderChunk(); });
  };

  const meta = () => {
    const pinned = data.commit && rev === data.commit;
    setHTML($('#file-meta', main), html`
      ${data.language ? html`<span class="badge">${data.language}</span>` : ''}
      <span class="muted">${plural(lines.length, 'line')} · ${fmtBytes(new Blob([data.content]).size)}</span>
      ${data.commit ? html`<span class="muted commit">commit ${commitTag(data.commit)}</span>` : ''}
      <span class="actions">
        ${data.commit ? (pinned
          ? html`<span class="badge ok" title="This URL names a commit: it will always show this content">permalink</span>`
          : html`<a class="button small" id="permalink" href="${blobUrl(repo, path, { rev: data.commit }) + lineHash(sel)}" title="Pin this URL to commit ${data.commit} (y)">Permalink</a>`) : ''}
        <button type="button" class="button small" id="copy-link" title="Copy a link to this file and selection">Copy link</button>
      </span>`);
    $('#copy-link', main).addEventListener('click', async (e) => {
      try { await navigator.clipboard.writeText(location.href); e.target.textContent = 'Copied'; } catch { e.target.textContent = 'Copy failed'; }
      setTimeout(() => { e.target.textContent = 'Copy link'; }, 1500);
    });
  };

  api(`/api/repos/${encodeURIComponent(repo)}/blob?` + new URLSearchParams({ path, rev }), { signal: abort.signal }).then((d) => {
    data = d;
    const body = $('#file-body', main);
    body.removeAttribute('aria-busy');
    const content = d.content || '';
    lines = content.split('\n');
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    lines = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    meta();
    if (d.skipped && !content) {
      setHTML(body, html`<div class="notice">This file is not in the index: ${d.skipped}. Its path is still searchable.</div>`);
      return;
    }
    if (content.includes('\u0000')) {
      setHTML(body, html`<div class="notice">Binary file (${fmtBytes(content.length)}): not shown.</div>`);
      return;
    }
    if (!lines.length) { setHTML(body, html`<div class="notice">This file is empty.</div>`); return; }
    setHTML(body, html`<div class="code-view" id="code" role="region" aria-label="File contents" tabindex="0"></div><div id="file-rest" class="file-rest"></div>`);
    code = $('#code', main);
    code.style.setProperty('--ln', String(lines.length).length + 'ch');
    highlight = fileHighlighter(d.language || '');
    code.addEventListener('click', (e) => {
      const a = e.target.closest('a.ln');
      if (!a) return;
      e.preventDefault();
      const n = +a.dataset.n;
      if (e.shiftKey && anchor) sel = { start: Math.min(anchor, n), end: Math.max(anchor, n) };
      else { sel = { start: n, end: n }; anchor = n; }
      history.pushState(null, '', location.pathname + location.search + lineHash(sel));
      scrolled = true;
      applySelection();
      meta();
    });
    renderChunk();
  }).catch((e) => {
    if (e.name === 'AbortError') return;
    const body = $('#file-body', main);
    body.removeAttribute('aria-busy');
    setHTML(body, html`${errorBox(e, e.status === 404 ? 'File not found' : 'Could not load the file')}
      <p><a href="${repoUrl(repo)}">Go to ${repo}</a></p>`);
  });

  return {
    destroy() { abort.abort(); cancelAnimationFrame(frame); },
    // Same file, other line selection: no reload.
    update(next) {
      if (next.view !== 'blob' || next.repo !== repo || next.path !== path || next.rev !== rev) return false;
      sel = parseLineHash(location.hash);
      anchor = sel ? sel.start : 0;
      if (sel && sel.end > limit) { limit = sel.end + 1000; if (code && !frame) renderChunk(); }
      scrolled = false;
      applySelection();
      if (data) meta();
      return true;
    },
    onKey(e) {
      if (e.key === 'y' && data && data.commit && rev !== data.commit) {
        navigate(blobUrl(repo, path, { rev: data.commit }) + lineHash(sel), { replace: true });
        return true;
      }
      return false;
    },
  };
}
