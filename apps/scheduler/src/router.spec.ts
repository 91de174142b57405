import { pickTarget } from './router.js';

const t = (provider: string, weight = 1, fallback = false) => ({ provider, model: 'm', weight, fallback });

describe('pickTarget', () => {
  it.each([
    [0.0, 'a'], [0.24, 'a'], [0.25, 'b'], [0.99, 'b'],
  ])('with random %d picks %s by weight 1:3, never the fallback', (r, want) => {
    expect(pickTarget({ targets: [t('a', 1), t('b', 3), t('c', 5, true)] }, () => r).provider).toBe(want);
  });
  it('uses fallbacks when they are all there is', () => {
    expect(pickTarget({ targets: [t('z', 1, true)] }, () => 0.5).provider).toBe('z');
  });
});
