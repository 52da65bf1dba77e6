import { describe, expect, it } from 'vitest';
import { registerError } from './words';

describe('registerError', () => {
  it('turns relay codes into what to do next', () => {
    expect(registerError('register the handle: relay: handle_taken: handle already registered', 'alice', '')).toBe(
      'Someone already has @alice. Choose another handle.',
    );
    expect(registerError('relay: handle_confusable: handle looks like a registered one', 'a1ice', '')).toMatch(/looks too much like/);
  });
  it('says the relay cannot be reached, naming it', () => {
    expect(registerError('Post "http://127.0.0.1:9/v1/accounts": dial tcp 127.0.0.1:9: connect: connection refused', 'bob', 'http://127.0.0.1:9')).toBe(
      'Sotto cannot reach the relay at http://127.0.0.1:9. Check your connection, or the relay address under Advanced, and try again.',
    );
  });
  it('keeps words the backend already chose', () => {
    const plain = 'No keyring is available on this computer: choose a passphrase to protect your messages.';
    expect(registerError(plain, 'bob', '')).toBe(plain);
  });
});
