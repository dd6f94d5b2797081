// Server-sent events read with fetch: EventSource cannot send the API token.

/** One frame: its event name ("message" unless named) and its data lines joined; null when it has no data (a comment). */
export function parseFrame(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event: ')) event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
    else if (line === 'data:') data.push('');
  }
  return data.length ? { event, data: data.join('\n') } : null;
}

/** The frames of a streamed answer as they arrive, until it ends. */
export async function* frames(res) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    const blocks = buffered.split('\n\n');
    buffered = blocks.pop();
    for (const b of blocks) {
      const f = parseFrame(b);
      if (f) yield f;
    }
  }
}
