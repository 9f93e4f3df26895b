/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * node_server.js: a TLS echo server on 127.0.0.1 for the end-to-end tests.
 * Node links OpenSSL statically into the node executable, which is the case
 * tlsmem must handle without a libssl.so in the process.
 *
 *   node tests/targets/node_server.js --port P --cert FILE --key FILE
 *
 * Prints "listening PORT pid PID" once it accepts connections (P = 0 picks
 * an ephemeral port) and exits 0 on SIGTERM or SIGINT.
 */
'use strict';

const fs = require('fs');
const tls = require('tls');

function usage(msg) {
	if (msg)
		process.stderr.write(`node_server: ${msg}\n`);
	process.stderr.write('usage: node node_server.js --port P --cert FILE --key FILE\n');
	process.exit(2);
}

function parseArgs(argv) {
	const opts = {};

	for (let i = 0; i < argv.length; i += 2) {
		const name = argv[i], val = argv[i + 1];

		if (!['--port', '--cert', '--key'].includes(name) || val === undefined)
			usage(`bad argument ${name}`);
		opts[name.slice(2)] = val;
	}
	if (!/^[0-9]+$/.test(opts.port || '') || Number(opts.port) > 65535)
		usage('--port needs a number in 0..65535');
	if (!opts.cert || !opts.key)
		usage('--cert and --key are required');
	return opts;
}

function main() {
	const opts = parseArgs(process.argv.slice(2));
	const server = tls.createServer({
		cert: fs.readFileSync(opts.cert),
		key: fs.readFileSync(opts.key),
	}, (sock) => {
		sock.on('error', () => sock.destroy());
		sock.pipe(sock);
	});

	server.on('tlsClientError', () => {});
	server.on('error', (err) => {
		process.stderr.write(`node_server: ${err.message}\n`);
		process.exit(1);
	});
	server.listen(Number(opts.port), '127.0.0.1', () => {
		process.stdout.write(`listening ${server.address().port} pid ${process.pid}\n`);
	});
	for (const sig of ['SIGTERM', 'SIGINT'])
		process.on(sig, () => process.exit(0));
}

main();
