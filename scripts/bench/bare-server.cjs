'use strict';
// The cold-start baseline for servers: a node:http server on FC_SERVER_PORT answering a fixed JSON
// body, started and asked once exactly as the web profile's server is. Plain CommonJS, no loader.
const body = JSON.stringify({ StatusCode: 200, Note: 'bare node:http server' });
require('node:http')
  .createServer((request, response) => {
    request.resume();
    response.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' }).end(body);
  })
  .listen(Number(process.env.FC_SERVER_PORT), '0.0.0.0');
