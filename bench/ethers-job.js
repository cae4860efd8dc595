// ethers doing hive-sign's job on an NDJSON stream, for the benchmark:
//   node ethers-job.js sign KEYHEX < in > out     personal_sign over each record's canonical form
//   node ethers-job.js verify ADDRESS < in > out  keep the records signed by ADDRESS
// The canonical form is RFC 8785: JavaScript's own number formatting and
// UTF-16 key order, as the RFC defines it.
'use strict';
const path = require('path');
const { Wallet, hashMessage, verifyMessage } = require(path.join(__dirname, '../tests/node/node_modules/ethers'));
const readline = require('readline');

function canonical(v) {
	if (v === null || typeof v !== 'object') return JSON.stringify(v);
	if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
	return '{' + Object.keys(v).sort().map(k => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
}

const [mode, arg] = process.argv.slice(2);
const wallet = mode === 'sign' ? new Wallet('0x' + arg) : null;
const out = [];
const flush = () => { if (out.length) { process.stdout.write(out.join('')); out.length = 0; } };
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', line => {
	const rec = JSON.parse(line);
	if (mode === 'sign') {
		rec.sig = wallet.signingKey.sign(hashMessage(canonical(rec))).serialized;
		out.push(canonical(rec) + '\n');
	} else {
		const { sig, ...rest } = rec;
		if (verifyMessage(canonical(rest), sig) === arg) out.push(line + '\n');
	}
	if (out.length >= 1024) flush();
});
rl.on('close', flush);
