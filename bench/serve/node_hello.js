// node_hello.js — the serve benchmark's node server: node's own `http`
// module answering every request with the six-byte text/plain "hello\n".
//
//   node node_hello.js WORKERS      (0: one process, no cluster)
//
// With WORKERS > 0 the primary forks that many cluster workers, which all
// listen on 127.0.0.1:0: node's cluster gives every worker the same port,
// so the primary prints it once every worker is listening.  The line
// "node_hello: listening on PORT (N processes)" on stdout is what the
// bench waits for.  SIGTERM to the primary ends the workers too.
'use strict';
const cluster = require('node:cluster');
const http = require('node:http');

const workers = Number(process.argv[2] || 0);
const body = Buffer.from('hello\n');

function serve(onListening) {
    const server = http.createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
        res.end(body);
    });
    server.keepAliveTimeout = 60000;
    server.listen(0, '127.0.0.1', () => onListening(server.address().port));
}

if (workers <= 0) {
    serve((port) => console.log(`node_hello: listening on ${port} (1 processes)`));
} else if (cluster.isPrimary) {
    let ready = 0;
    let port = 0;
    for (let i = 0; i < workers; i++) cluster.fork();
    cluster.on('message', (_w, msg) => {
        if (port && msg.port !== port) {
            console.error(`node_hello: workers listen on different ports (${port}, ${msg.port})`);
            process.exit(1);
        }
        port = msg.port;
        if (++ready === workers) console.log(`node_hello: listening on ${port} (${workers} processes)`);
    });
    cluster.on('exit', (w, code) => {
        console.error(`node_hello: worker ${w.process.pid} exited (${code})`);
        process.exit(1);
    });
    process.on('SIGTERM', () => {
        cluster.removeAllListeners('exit');
        for (const id in cluster.workers) cluster.workers[id].process.kill('SIGTERM');
        process.exit(0);
    });
} else {
    serve((port) => process.send({ port }));
}
