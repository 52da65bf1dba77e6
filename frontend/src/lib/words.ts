// Errors in words for people. The backend already says most things plainly;
// these are the relay's codes and network failures that reach onboarding as
// technical text. Anything not recognised is shown as the backend wrote it.

export function registerError(message: string, handle: string, relay: string): string {
  if (/handle_taken/.test(message)) return `Someone already has @${handle}. Choose another handle.`;
  if (/handle_confusable/.test(message)) return `@${handle} looks too much like a handle someone already has. Choose another.`;
  if (/connection refused|no such host|dial tcp|i\/o timeout|network is unreachable|EOF$/i.test(message)) {
    return `Sotto cannot reach the relay${relay ? ` at ${relay}` : ''}. Check your connection, or the relay address under Advanced, and try again.`;
  }
  return message;
}
