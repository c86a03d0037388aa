// worker.js — the serve benchmark's workerd worker (bench/serve/workerd.capnp):
// every request gets 200 with the six-byte text/plain body "hello\n", as
// from the other servers of the serve section.
const body = 'hello\n';

export default {
  fetch() {
    return new Response(body, { headers: { 'content-type': 'text/plain' } });
  },
};
