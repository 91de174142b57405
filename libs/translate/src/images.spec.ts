import { canonicalToChat, chatToCanonical } from './chat.translate.js';
import { imageUrlProblem, parseDataUrl } from './image-url.js';
import { mockAnswer } from './mock-answer.js';
import { canonicalToResponses, responsesToCanonical } from './responses.translate.js';

const inline = 'data:image/png;base64,iVBORw0KGgo=';
const chatTurn = { role: 'user', content: [{ type: 'text', text: 'What is ' }, { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } }, { type: 'text', text: 'and this?' }, { type: 'image_url', image_url: { url: inline } }] };
const parts = [
  { type: 'text', text: 'What is ' }, { type: 'image', url: 'https://x/y.png', detail: 'low' }, { type: 'text', text: 'and this?' }, { type: 'image', url: inline },
];

describe('images', () => {
  it('chat -> canonical: the parts in order, the text beside them; back to chat as they were', () => {
    const c = chatToCanonical({ model: 'm', messages: [chatTurn, { role: 'user', content: [{ type: 'text', text: 'plain' }] }] });
    expect(c.messages[0]).toEqual({ role: 'user', content: 'What is and this?', parts });
    expect(c.messages[1]).toEqual({ role: 'user', content: 'plain' });
    expect(canonicalToChat(c).messages[0]).toEqual(chatTurn);
  });

  it('Responses input_image -> canonical -> a chat provider and a Responses provider', () => {
    const c = responsesToCanonical({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: 'What is ' }, { type: 'input_image', image_url: 'https://x/y.png', detail: 'low' }, { type: 'input_text', text: 'and this?' }, { type: 'input_image', image_url: inline }] }] });
    expect(c.messages[0]).toEqual({ role: 'user', content: 'What is and this?', parts });
    expect(canonicalToChat(c).messages[0]).toEqual(chatTurn);
    expect(canonicalToResponses(c).input).toEqual([{
      type: 'message', role: 'user',
      content: [{ type: 'input_text', text: 'What is ' }, { type: 'input_image', image_url: 'https://x/y.png', detail: 'low' }, { type: 'input_text', text: 'and this?' }, { type: 'input_image', image_url: inline, detail: 'auto' }],
    }]);
  });

  it('the mock answers the text of a turn with images', () => {
    expect(mockAnswer(chatToCanonical({ model: 'm', messages: [chatTurn] })).text).toBe('Mock reply to: What is and this?');
  });

  it.each([
    ['https://x/y.png', null],
    [inline, null],
    ['data:image/svg+xml;base64,PHN2Zz4=', 'has type image/svg+xml; inline images must be one of image/jpeg, image/png, image/gif, image/webp'],
    ['data:image/png,rawbytes', 'must be an http(s) URL or a base64 data URL (data:image/png;base64,...)'],
    ['file:///etc/passwd', 'must be an http(s) URL or a base64 data URL (data:image/png;base64,...)'],
    [42, 'must be an http(s) URL or a base64 data URL'],
  ])('image URL %s: %s', (url, problem) => {
    expect(imageUrlProblem(url)).toBe(problem);
  });

  it('reads a data URL', () => {
    expect(parseDataUrl(inline)).toEqual({ media_type: 'image/png', data: 'iVBORw0KGgo=' });
    expect(parseDataUrl('https://x/y.png')).toBeNull();
  });
});
