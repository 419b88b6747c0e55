/* global document, window, history */
// The release-notes page. Routes are owned by the page (history API): "/" lists every note,
// "/kind/<kind>" filters, anything else renders "page not found" — which is why the server answers
// unknown page paths with index.html.

const KINDS = ['feature', 'fix', 'breaking', 'docs'];
const root = document.getElementById('root');

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function api(path, init) {
  const res = await fetch(path, init);
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const message = body?.error?.details?.map((d) => `${d.field}: ${d.message}`).join('; ') || body?.error?.message || res.statusText;
    throw new Error(`${res.status} ${message}`);
  }
  return body;
}

function parseRoute(pathname) {
  if (pathname === '/') return { page: 'list' };
  const match = /^\/kind\/([a-z]+)\/?$/.exec(pathname);
  if (match && KINDS.includes(match[1])) return { page: 'list', kind: match[1] };
  return { page: 'not-found' };
}

function navigate(path) {
  history.pushState(null, '', path);
  render();
}

function link(path, text, current) {
  return el('a', { href: path, ...(current ? { 'aria-current': 'page' } : {}), onclick: (event) => { event.preventDefault(); navigate(path); } }, text);
}

function navigation(kind) {
  return el('nav', {}, link('/', 'All', !kind), ...KINDS.map((k) => link(`/kind/${k}`, k, k === kind)));
}

function form(onAdded) {
  const title = el('input', { name: 'title', placeholder: 'What changed?', required: '', maxlength: '120' });
  const kind = el('select', { name: 'kind' }, ...KINDS.map((k) => el('option', { value: k }, k)));
  const status = el('p', { class: 'error', role: 'status' });
  const submit = async (event) => {
    event.preventDefault();
    status.textContent = '';
    try {
      await api('/api/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: title.value, kind: kind.value }) });
      title.value = '';
      onAdded();
    } catch (err) {
      status.textContent = `Could not add the note: ${err.message}`;
    }
  };
  return [el('form', { onsubmit: submit }, title, kind, el('button', { type: 'submit' }, 'Add')), status];
}

async function listView(kind) {
  const list = el('ul', { class: 'items' });
  const refresh = async () => {
    list.replaceChildren(el('li', { class: 'empty' }, 'Loading…'));
    try {
      const { items } = await api(kind ? `/api/items?kind=${kind}` : '/api/items');
      list.replaceChildren(...(items.length === 0
        ? [el('li', { class: 'empty' }, 'No notes yet.')]
        : items.map((item) => el('li', {}, el('span', { class: `kind kind-${item.kind}` }, item.kind), item.title))));
    } catch (err) {
      list.replaceChildren(el('li', { class: 'error' }, `Could not load the notes: ${err.message}`));
    }
  };
  await refresh();
  return [navigation(kind), ...form(refresh), list];
}

async function render() {
  const route = parseRoute(window.location.pathname);
  const version = el('span', { class: 'version' });
  api('/api/version').then((v) => { version.textContent = `v${v.version}`; }, () => { version.textContent = 'version unknown'; });
  const header = el('header', {}, el('h1', {}, 'Release notes'), version);
  const body = route.page === 'list'
    ? await listView(route.kind)
    : [navigation(undefined), el('p', { class: 'error' }, `Page not found: ${window.location.pathname}`)];
  root.replaceChildren(el('main', {}, header, ...body));
}

window.addEventListener('popstate', render);
render();
