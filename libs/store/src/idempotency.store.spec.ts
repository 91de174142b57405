import { fingerprint } from './idempotency.store.js';

describe('fingerprint', () => {
  it('ignores key order and undefined fields', () => {
    expect(fingerprint('chat', { a: 1, b: { c: [1, { d: 2, e: 3 }] } })).toBe(fingerprint('chat', { b: { c: [1, { e: 3, d: 2 }] }, a: 1, z: undefined }));
  });
  it('tells apart different bodies and different APIs', () => {
    expect(fingerprint('chat', { a: 1 })).not.toBe(fingerprint('chat', { a: 2 }));
    expect(fingerprint('chat', { a: 1 })).not.toBe(fingerprint('messages', { a: 1 }));
    expect(fingerprint('chat', { a: [1, 2] })).not.toBe(fingerprint('chat', { a: [2, 1] }));
  });
});
