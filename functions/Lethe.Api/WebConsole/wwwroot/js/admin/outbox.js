// The notification outbox: what Lethe told the tenant about its requests (never content or subject ids).

import { api, query, seg } from '../api.js';
import { action, h, replace, table, time } from '../dom.js';
import { context } from './context.js';

export async function renderOutbox(main) {
  const list = h('div', {});
  const pager = h('div', { class: 'pager' });
  const items = [];
  const load = async cursor => {
    const page = await api.get(`${context.base}/notifications${query({ limit: 50, cursor })}`);
    items.push(...page.items);
    replace(list, table(`${items.length} notification(s)`, ['At', 'Event', 'Request', 'Channel'],
      items.map(n => [time(n.at), n.event, n.requestId ? h('a', { href: `#/jobs/${seg(n.requestId)}` }, n.requestId) : '—', n.channel])));
    replace(pager, page.nextCursor ? action('Load more', () => load(page.nextCursor)) : null);
  };
  replace(main, h('h1', {}, 'Notifications'), list, pager);
  await load();
}
