// The inventory: every stored thing of the tenant (or of one subject) with its state; a soft-deleted item inside its
// recovery window can be restored one by one (POST …/items/{id}/restore).

import { api, query, seg } from '../api.js';
import { action, announce, field, h, replace, select, table, time } from '../dom.js';
import { context } from './context.js';

const STATES = [['', 'any'], ['active', 'active'], ['soft_deleted', 'soft-deleted'], ['purging', 'purging'], ['archived', 'archived'], ['purged', 'purged']];

export function renderItems(main, { params, navigate }) {
  const filters = { subjectId: params.get('subjectId') ?? '', state: params.get('state') ?? '' };
  const form = h('form', { class: 'filters', 'aria-label': 'Filter the inventory' },
    field('Subject id', h('input', { name: 'subjectId', value: filters.subjectId, autocomplete: 'off' })),
    field('State', select({ name: 'state' }, STATES, filters.state)),
    h('button', { type: 'submit' }, 'Apply'));
  form.addEventListener('submit', event => {
    event.preventDefault();
    navigate(`#/items${query({ subjectId: form.elements.subjectId.value.trim(), state: form.elements.state.value })}`);
  });
  const list = h('div', {});
  const pager = h('div', { class: 'pager' });
  replace(main, h('h1', {}, 'Inventory'), form, list, pager);

  const items = [];
  const draw = cursor => {
    replace(list, table(`${items.length} item(s)`, ['Item', 'Kind', 'Category', 'State', 'Classification', 'Retain until', ''],
      items.map(item => [item.id, item.kind, item.category, item.state, item.classification, time(item.retainUntil),
        item.state === 'soft_deleted' && context.canManage
          ? action('Restore', async () => {
            await api.post(`${context.base}/items/${seg(item.id)}/restore`, {});
            item.state = 'active';
            announce(`Item ${item.id} restored.`, 'success');
            draw(cursor);
          }, { 'aria-label': `Restore item ${item.id}` })
          : ''])));
    replace(pager, cursor ? action('Load more', () => load(cursor)) : null);
  };
  const load = async cursor => {
    const page = await api.get(`${context.base}/items${query({ subjectId: filters.subjectId, state: filters.state, limit: 100, cursor })}`);
    items.push(...page.items);
    draw(page.nextCursor);
  };
  return load().then(() => null);
}
