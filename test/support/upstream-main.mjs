// A fake upstream in a process of its own (the built one from libs/testing), so the time a call is received is not
// held up by the test's own work. Prints {"url","control"} once listening; the control server answers GET /calls
// (each call's receipt time and model) and POST /reset.
import { createServer } from 'node:http';
import { startFakeUpstream } from '../../dist/libs/testing/src/fake-upstream.js';

const upstream = await startFakeUpstream({ kind: process.argv[2] ?? 'openai' });
const control = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/reset') upstream.reset();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(upstream.calls.map((c) => ({ at: c.at, model: c.body?.model ?? null }))));
});
control.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: upstream.url, control: `http://127.0.0.1:${control.address().port}` })));
process.on('SIGTERM', () => process.exit(0));
