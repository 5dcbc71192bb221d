// The "Explain" panel: what a search traced with trace=1 did (the server's `trace` event):
// stage timings, counts, the n-gram plan with posting-list sizes, and the slowest shards.

import { html, fmtInt, plural } from './util.js';

const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2)) + ' ms';

function stagesHTML(t) {
  const max = Math.max(t.totalMs, ...t.stages.map((s) => s.ms), 0.001);
  const row = (name, ms, cls) => html`<tr class="${cls}" data-stage="${name}"><th scope="row">${name}</th>
    <td class="num">${fmtMs(ms)}</td><td class="bar-cell"><span class="bar" style="width:${Math.max(0.5, (100 * ms) / max).toFixed(1)}%"></span></td></tr>`;
  return html`<table class="table trace-stages"><tbody>
    ${t.stages.map((s) => row(s.name, s.ms, 'stage'))}
    ${row('total', t.totalMs, 'total')}
  </tbody></table>
  <p class="muted small">Inside the shards, summed over shards (they run in parallel):
    posting lists ${fmtMs(t.shardWork.postingsMs)}, verification ${fmtMs(t.shardWork.verifyMs)}.</p>`;
}

function countsHTML(t) {
  const sh = t.shards;
  const skipped = [];
  if (sh.skippedByRevision) skipped.push(`${fmtInt(sh.skippedByRevision)} by branch`);
  if (sh.skippedByRepo) skipped.push(`${fmtInt(sh.skippedByRepo)} by repo:`);
  if (sh.failed) skipped.push(`${fmtInt(sh.failed)} failed`);
  const stop = { limit: 'yes: the result limit was reached', timeout: 'yes: the time limit was reached' }[t.stoppedEarly] || 'no';
  const item = (k, v) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`;
  return html`<dl class="trace-counts">
    ${item('Shards searched', `${fmtInt(sh.searched)} of ${fmtInt(sh.considered)}${skipped.length ? ` (skipped: ${skipped.join(', ')})` : ''}`)}
    ${item('Candidate files', fmtInt(t.candidateFiles))}
    ${item('Files verified', fmtInt(t.filesVerified))}
    ${item('Files matched', fmtInt(t.filesMatched))}
    ${item('Lines matched', fmtInt(t.linesMatched))}
    ${item('Stopped early', stop)}
  </dl>`;
}

function planHTML(p) {
  const opts = [p.caseSensitive ? 'case-sensitive' : 'case-insensitive',
    p.limit == null ? 'no result limit' : `limit ${fmtInt(p.limit)}`, `timeout ${p.timeoutMs / 1000}s`];
  return html`<h3>Plan</h3>
    <p>Query <code class="trace-query">${p.query}</code> <span class="muted">· ${opts.join(' · ')}</span></p>
    <p class="muted small">Candidate files must satisfy this n-gram condition (each n-gram with its posting-list size):</p>
    <pre class="trace-plan">${p.condition}</pre>
    ${p.patterns.map((a) => html`<div class="trace-pattern"><p>Pattern <code>${a.pattern}</code> compiles to <code>${a.regex}</code></p>
      ${a.content != null ? html`<p class="small">content: <code>${a.content}</code></p>` : ''}
      ${a.path != null ? html`<p class="small">path: <code>${a.path}</code></p>` : ''}
      ${a.required.length ? html`<p class="small muted">verified on lines containing ${a.required.map((set, i) => html`${i ? ' and ' : ''}${set.map((s, j) => html`${j ? ' or ' : ''}<code>${s}</code>`)}`)}</p>` : ''}
    </div>`)}`;
}

function shardsHTML(t) {
  if (!t.slowestShards.length) return '';
  return html`<h3>Slowest shards</h3><table class="table trace-shards"><thead><tr>
      <th scope="col">Repository</th><th scope="col">Shard</th><th scope="col" class="num">Time</th>
      <th scope="col" class="num">Candidates</th><th scope="col" class="num">Verified</th><th scope="col" class="num">Matched</th></tr></thead>
    <tbody>${t.slowestShards.map((s) => html`<tr><td>${s.repo}${s.branch ? html` <span class="muted">@${s.branch}</span>` : ''}</td>
      <td><code>${s.shard}</code></td><td class="num">${fmtMs(s.ms)}</td><td class="num">${fmtInt(s.candidates)}</td>
      <td class="num">${fmtInt(s.verified)}</td><td class="num">${fmtInt(s.matched)}</td></tr>`)}</tbody></table>`;
}

export function traceHTML(t) {
  return html`<details class="trace" id="trace-panel" open>
    <summary><strong>Search trace</strong> <span class="muted">${fmtMs(t.totalMs)} in ${plural(t.shards.searched, 'shard')}</span></summary>
    ${stagesHTML(t)}${countsHTML(t)}${planHTML(t.plan)}${shardsHTML(t)}
  </details>`;
}
