import { Status, type RequestRecord } from '@reqrun/contracts';
import { inputItemsPage } from './input-items.js';

const output = { id: 'msg_earlier', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'a1', annotations: [] }] };
const record = (input: unknown): RequestRecord => ({
  id: 'rr_01J00000000000000000000000', tenant: 't', api: 'responses', model: 'm', window: 'asap', status: Status.Completed,
  body: { model: 'm', input }, created_at: 1, updated_at: 1, attempts: 1, history: [],
});
const conversation = record([{ role: 'user', content: 'q1' }, output, { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'q2' }] }]);

describe('inputItemsPage', () => {
  it('lists a string input as one user message with an input_text part and a stable id', () => {
    const page = inputItemsPage(record('hello'), { limit: 20, order: 'desc' });
    expect(page).toEqual({
      object: 'list', has_more: false, first_id: 'msg_01J00000000000000000000000_0', last_id: 'msg_01J00000000000000000000000_0',
      data: [{ id: 'msg_01J00000000000000000000000_0', type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: 'hello' }] }],
    });
  });

  it('keeps the ids items came with (an earlier output) and the parts they had', () => {
    const ids = inputItemsPage(conversation, { limit: 20, order: 'asc' }).data.map((i) => i.id);
    expect(ids).toEqual(['msg_01J00000000000000000000000_0', 'msg_earlier', 'msg_01J00000000000000000000000_2']);
    expect(inputItemsPage(conversation, { limit: 20, order: 'asc' }).data[1]).toEqual(output);
  });

  it('pages newest first by default; after continues where a page ended; has_more says when to stop', () => {
    const first = inputItemsPage(conversation, { limit: 2, order: 'desc' });
    expect(first.data.map((i) => i.id)).toEqual(['msg_01J00000000000000000000000_2', 'msg_earlier']);
    expect(first).toMatchObject({ has_more: true, first_id: 'msg_01J00000000000000000000000_2', last_id: 'msg_earlier' });
    const second = inputItemsPage(conversation, { limit: 2, order: 'desc', after: first.last_id! });
    expect(second.data.map((i) => i.id)).toEqual(['msg_01J00000000000000000000000_0']);
    expect(second.has_more).toBe(false);
  });

  it('an empty page after the last item; an id not in the response is a 400', () => {
    expect(inputItemsPage(conversation, { limit: 5, order: 'asc', after: 'msg_01J00000000000000000000000_2' })).toEqual({
      object: 'list', data: [], first_id: null, last_id: null, has_more: false,
    });
    expect(() => inputItemsPage(conversation, { limit: 5, order: 'asc', after: 'msg_other' })).toThrow(expect.objectContaining({ status: 400, param: 'after' }));
  });
});
