import type { CanonicalRequest } from '@reqrun/contracts';
import { canonicalToMessages, messagesToCanonical, type AnthropicRequest } from './messages.translate.js';

const asBody = (r: AnthropicRequest) => r as unknown as Record<string, unknown>;
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const pngUrl = `data:image/png;base64,${PNG}`;
const base64Png = { type: 'image' as const, source: { type: 'base64' as const, media_type: 'image/png', data: PNG } };
const urlImage = { type: 'image' as const, source: { type: 'url' as const, url: 'https://example.com/cat.jpg' } };
const text = (t: string) => ({ type: 'text' as const, text: t });

/** A user turn of text, a base64 image, more text and a url image, in Messages' words... */
const withImages: AnthropicRequest = { model: 'c', max_tokens: 10, messages: [{ role: 'user', content: [text('compare '), base64Png, text('with'), urlImage] }] };
/** ...and canonical. */
const canonicalWithImages: CanonicalRequest = {
  model: 'c', max_tokens: 10,
  messages: [{
    role: 'user', content: 'compare with',
    parts: [{ type: 'text', text: 'compare ' }, { type: 'image', url: pngUrl }, { type: 'text', text: 'with' }, { type: 'image', url: 'https://example.com/cat.jpg' }],
  }],
};

/** A tool loop whose last user turn gives the result, then an image and a question about it. */
const loop = (last: AnthropicRequest['messages'][number]['content']): AnthropicRequest => ({
  model: 'c', max_tokens: 10, tools: [{ name: 'snap', input_schema: { type: 'object' } }],
  messages: [
    { role: 'user', content: 'take a picture' },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'snap', input: {} }] },
    { role: 'user', content: last },
  ],
});
const imageAfterResult = loop([{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'taken' }, base64Png, text('what is on it?')]);
const canonicalImageAfterResult: CanonicalRequest['messages'] = [
  { role: 'user', content: 'take a picture' },
  { role: 'assistant', content: '', tool_calls: [{ id: 'toolu_1', name: 'snap', arguments: '{}' }] },
  { role: 'tool', content: 'taken', tool_call_id: 'toolu_1' },
  { role: 'user', content: 'what is on it?', parts: [{ type: 'image', url: pngUrl }, { type: 'text', text: 'what is on it?' }] },
];

describe('messages images: request, Messages -> canonical', () => {
  it('base64 and url images become image parts in order with the text; content is the text joined', () => {
    expect(messagesToCanonical(asBody(withImages))).toEqual(canonicalWithImages);
  });

  it('a turn of text blocks only has no parts', () => {
    const c = messagesToCanonical({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: [text('a'), text('b')] }, { role: 'user', content: 'plain' }] });
    expect(c.messages).toEqual([{ role: 'user', content: 'ab' }, { role: 'user', content: 'plain' }]);
    expect(c.messages.some((m) => 'parts' in m)).toBe(false);
  });

  it('an image alone is a turn with empty content and its one part', () => {
    const c = messagesToCanonical({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: [urlImage] }] });
    expect(c.messages).toEqual([{ role: 'user', content: '', parts: [{ type: 'image', url: 'https://example.com/cat.jpg' }] }]);
  });

  it('images after tool results: the tool turn first, then a user turn with the image and the text', () => {
    expect(messagesToCanonical(asBody(imageAfterResult)).messages).toEqual(canonicalImageAfterResult);
  });

  it('a user turn of tool results and an image only still keeps the image', () => {
    const c = messagesToCanonical(asBody(loop([{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'taken' }, urlImage])));
    expect(c.messages.slice(2)).toEqual([
      { role: 'tool', content: 'taken', tool_call_id: 'toolu_1' },
      { role: 'user', content: '', parts: [{ type: 'image', url: 'https://example.com/cat.jpg' }] },
    ]);
  });
});

describe('messages images: request, canonical -> Messages', () => {
  it('parts become text and image blocks in order: a data URL as a base64 source, an http(s) URL as a url source', () => {
    expect(canonicalToMessages(canonicalWithImages)).toEqual(withImages);
  });

  it('detail is dropped; media_type is read off the data URL; whitespace in its data is dropped; an http URL is a url source', () => {
    const sut = canonicalToMessages({
      model: 'c',
      messages: [{
        role: 'user', content: 'see',
        parts: [{ type: 'image', url: 'data:image/webp;base64,UklG\nRg==', detail: 'low' }, { type: 'image', url: 'http://example.com/a.gif', detail: 'high' }, { type: 'text', text: 'see' }],
      }],
    });
    expect(sut.messages).toEqual([{
      role: 'user',
      content: [
        { type: 'image', source: { type: 'base64', media_type: 'image/webp', data: 'UklGRg==' } },
        { type: 'image', source: { type: 'url', url: 'http://example.com/a.gif' } },
        { type: 'text', text: 'see' },
      ],
    }]);
  });

  it('an empty text part is left out (Anthropic refuses empty text blocks)', () => {
    const sut = canonicalToMessages({ model: 'c', messages: [{ role: 'user', content: '', parts: [{ type: 'text', text: '' }, { type: 'image', url: pngUrl }] }] });
    expect(sut.messages).toEqual([{ role: 'user', content: [base64Png] }]);
  });

  it('a turn without parts is still sent as its text', () => {
    expect(canonicalToMessages({ model: 'c', messages: [{ role: 'user', content: 'hi' }] }).messages).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('a user turn after tool results joins their user turn with its images and text, in order, after the results', () => {
    expect(canonicalToMessages({ model: 'c', max_tokens: 10, tools: [{ name: 'snap', parameters: { type: 'object' } }], messages: canonicalImageAfterResult })).toEqual(imageAfterResult);
  });

  it('round trip: Messages -> canonical -> Messages keeps images, and canonical -> Messages -> canonical keeps parts', () => {
    expect(canonicalToMessages(messagesToCanonical(asBody(withImages)))).toEqual(withImages);
    expect(messagesToCanonical(asBody(canonicalToMessages(canonicalWithImages)))).toEqual(canonicalWithImages);
  });
});
