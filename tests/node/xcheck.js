// Independent reference for hive-sign's cross-check tests, on ethers v6.
//   random N SEED            N random records (seeded): unicode keys and strings,
//                            nested values, awkward numbers
//   canon                    RFC 8785 form of each stdin record without "sig"
//   sign KEYHEX              personal_sign each stdin record as hive-sign does
//   verify ADDRESS           exit 1 unless every stdin record is signed by ADDRESS
//   keystore-open FILE       address of a keystore (password in HIVE_PASSWORD)
//   keystore-make KEYHEX N   keystore v3 JSON with scrypt cost N (password in HIVE_PASSWORD)
//   typed-sign KEYHEX FILE   EIP-712 signature of eth_signTypedData_v4 JSON
//   typed-verify FILE SIG    signer of a typed-data signature
//   message-sign KEYHEX TEXT / message-verify TEXT SIG
//   ledger                   checks a hive-beekeeper ledger on stdin: canonical lines,
//                            seq, the keccak256 chain, each actor's signature, and
//                            that HVT balances + staked + burned = supply; prints a summary
//   settlements QUEEN        checks a hive-settle archive on stdin: the keccak256 chain,
//                            the Queen's signature on every line, each balance record's
//                            EIP-712 digest (rebuilt from its fields) and signature and
//                            the settlement hash it names, and per period that the
//                            Workers' amounts add up to dso + platform_fee + owner_keeps
'use strict';
const fs = require('fs');
const ethers = require('ethers');

// RFC 8785 is defined by ECMAScript's own serialisation: JSON.stringify for
// strings and numbers, keys sorted by UTF-16 code units (Array.prototype.sort).
function canonical(v) {
	if (v === null || typeof v !== 'object') return JSON.stringify(v);
	if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
	return '{' + Object.keys(v).sort().map(k => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
}

function lines() {
	return fs.readFileSync(0, 'utf8').split('\n').filter(l => l.trim() !== '');
}

function unsigned(rec) {
	const { sig, ...rest } = rec;
	return rest;
}

// A small seeded generator (mulberry32) so a failing case can be replayed.
function rng(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function randomRecords(n, seed) {
	const r = rng(seed);
	const pick = a => a[Math.floor(r() * a.length)];
	const chars = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0001', '\u001f', '\u007f', 'é', '€',
		'\u2028', '\ufb33', '\ue000', '😀', '𝄞', '\u00f6', '\r'];
	const str = () => Array.from({ length: Math.floor(r() * 8) }, () => pick(chars)).join('');
	const nums = [0, -0, 1, -1, 0.1, 1.5, 1e21, 1e-7, 123456789012345, 9007199254740992, 4.35, 0.000001,
		1e300, -5e-324, 333333333.3333333, 2 ** 53 + 2];
	const num = () => (r() < 0.5 ? pick(nums) : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20));
	const value = depth => {
		const k = r();
		if (depth > 2 || k < 0.3) return str();
		if (k < 0.55) return num();
		if (k < 0.65) return pick([true, false, null]);
		if (k < 0.8) return Array.from({ length: Math.floor(r() * 4) }, () => value(depth + 1));
		const o = {};
		for (let i = Math.floor(r() * 4); i > 0; i--) o[str() || 'k'] = value(depth + 1);
		return o;
	};
	const out = [];
	for (let i = 0; i < n; i++) {
		const rec = { type: pick(['reading', 'interval', 'note']) };
		for (let j = Math.floor(r() * 5); j > 0; j--) rec[str() || 'x'] = value(0);
		delete rec.sig;
		out.push(JSON.stringify(rec));
	}
	return out.join('\n') + '\n';
}

const [cmd, a, b] = process.argv.slice(2);
const password = process.env.HIVE_PASSWORD;
switch (cmd) {
case 'random':
	process.stdout.write(randomRecords(Number(a), Number(b)));
	break;
case 'canon':
	for (const l of lines()) console.log(canonical(unsigned(JSON.parse(l))));
	break;
case 'sign': {
	const w = new ethers.Wallet('0x' + a);
	for (const l of lines()) {
		const rec = JSON.parse(l);
		rec.sig = w.signingKey.sign(ethers.hashMessage(canonical(rec))).serialized;
		console.log(canonical(rec));
	}
	break;
}
case 'verify': {
	let bad = 0;
	lines().forEach((l, i) => {
		const rec = JSON.parse(l);
		const by = ethers.verifyMessage(canonical(unsigned(rec)), rec.sig);
		if (by !== a) { console.error(`xcheck: line ${i + 1}: signed by ${by}, not ${a}`); bad++; }
	});
	process.exit(bad ? 1 : 0);
}
case 'keystore-open':
	console.log(ethers.Wallet.fromEncryptedJsonSync(fs.readFileSync(a, 'utf8'), password).address);
	break;
case 'keystore-make':
	console.log(new ethers.Wallet('0x' + a).encryptSync(password, { scrypt: { N: Number(b) } }));
	break;
case 'typed-sign':
case 'typed-verify': {
	const td = JSON.parse(fs.readFileSync(cmd === 'typed-sign' ? b : a, 'utf8'));
	const types = { ...td.types };
	delete types.EIP712Domain;
	if (cmd === 'typed-sign')
		new ethers.Wallet('0x' + a).signTypedData(td.domain, types, td.message).then(console.log);
	else
		console.log(ethers.verifyTypedData(td.domain, types, td.message, b));
	break;
}
case 'message-sign':
	console.log(new ethers.Wallet('0x' + a).signMessageSync(b));
	break;
case 'message-verify':
	console.log(ethers.verifyMessage(a, b));
	break;
case 'ledger': {
	let prev = '0x' + '0'.repeat(64), supply = 0n, burned = 0n, staked = 0n, admin = null;
	const bal = new Map();
	const add = (who, v) => bal.set(who, (bal.get(who) || 0n) + v);
	const ls = fs.readFileSync(0, 'utf8').split('\n');
	ls.pop();   // the text ends with a newline
	ls.forEach((line, i) => {
		const die = why => { console.error(`xcheck ledger: line ${i + 1}: ${why}`); process.exit(1); };
		const ev = JSON.parse(line);
		if (canonical(ev) !== line) die('not canonical');
		if (ev.seq !== i) die('seq ' + ev.seq);
		if (ev.prev !== prev) die('prev is not the keccak256 of the line before');
		if (ethers.verifyMessage(canonical(unsigned(ev)), ev.sig) !== ev.actor) die('not signed by its actor');
		prev = ethers.keccak256(ethers.toUtf8Bytes(line));
		const owner = ev.actor;
		switch (ev.op) {
		case 'init': supply = BigInt(ev.supply); admin = ev.actor; add(admin, supply); break;
		case 'hvt_transfer': add(ev.actor, -BigInt(ev.amount)); add(ev.to, BigInt(ev.amount)); break;
		default:
			if (ev.hvt !== undefined) {
				if (BigInt(ev.burn) + BigInt(ev.stake) !== BigInt(ev.hvt)) die('burn + stake is not the HVT paid');
				add(owner, -BigInt(ev.hvt)); burned += BigInt(ev.burn); staked += BigInt(ev.stake);
			}
			if (ev.returned !== undefined) { staked -= BigInt(ev.returned); }
		}
		// A returned stake goes to the hive's owner: the actor, except when the admin revokes a meter.
		if (ev.returned !== undefined) add(ev.op === 'meter_status' ? 'hive-owner' : owner, BigInt(ev.returned));
		for (const [who, v] of bal) if (v < 0n && who !== 'hive-owner') die(`${who} holds ${v}`);
	});
	let total = burned + staked;
	for (const v of bal.values()) total += v;
	if (total !== supply) { console.error(`xcheck ledger: ${total} != supply ${supply}`); process.exit(1); }
	console.log(JSON.stringify({ events: ls.length, head: prev, burned: burned.toString(), staked: staked.toString() }));
	break;
}
case 'settlements': {
	let prev = '0x' + '0'.repeat(64), paid = 0n, balances = 0, periods = 0;
	const content = new Map();
	const ls = fs.readFileSync(0, 'utf8').split('\n');
	ls.pop();
	const types = { Balance: [
		{ name: 'hive', type: 'uint32' }, { name: 'worker', type: 'address' }, { name: 'coin', type: 'address' },
		{ name: 'periodStart', type: 'uint64' }, { name: 'periodEnd', type: 'uint64' },
		{ name: 'firstNonce', type: 'uint64' }, { name: 'lastNonce', type: 'uint64' },
		{ name: 'closingImportWh', type: 'uint64' }, { name: 'closingExportWh', type: 'uint64' },
		{ name: 'amount', type: 'int256' }, { name: 'settlement', type: 'bytes32' }] };
	ls.forEach((line, i) => {
		const die = why => { console.error(`xcheck settlements: line ${i + 1}: ${why}`); process.exit(1); };
		const r = JSON.parse(line);
		if (r.prev !== prev) die(`prev ${r.prev}, not ${prev}`);
		prev = ethers.keccak256(ethers.toUtf8Bytes(line));
		if (ethers.verifyMessage(canonical(unsigned(r)), r.sig) !== a) die('not signed by the Queen');
		const { sig, prev: _p, ...bare } = r;
		if (r.type === 'settlement' && r.scope === 'worker') {
			paid += BigInt(r.amount);
			content.set(r.worker, ethers.keccak256(ethers.toUtf8Bytes(canonical(bare))));
		} else if (r.type === 'balance') {
			const message = { hive: r.hive, worker: r.worker, coin: r.coin,
				periodStart: Date.parse(r.period_start) / 1000, periodEnd: Date.parse(r.period_end) / 1000,
				firstNonce: r.first_nonce, lastNonce: r.last_nonce,
				closingImportWh: r.closing_import_wh || 0, closingExportWh: r.closing_export_wh || 0,
				amount: r.amount, settlement: r.settlement };
			const domain = { name: 'hive', version: '1' };
			if (ethers.TypedDataEncoder.hash(domain, types, message) !== r.eip712_digest) die('EIP-712 digest differs');
			if (ethers.verifyTypedData(domain, types, message, r.eip712_sig) !== a) die('EIP-712 signer differs');
			if (content.get(r.worker) !== r.settlement) die('settlement hash differs');
			if (r.last_nonce - r.first_nonce + 1 !== r.chained_slots + r.gaps) die('nonces do not cover the slots');
			balances++;
		} else if (r.scope === 'hive') {
			const owed = BigInt(r.dso) + BigInt(r.platform_fee) + BigInt(r.owner_keeps);
			if (paid !== owed || paid !== BigInt(r.workers_pay)) die(`Workers pay ${paid}, owed ${owed}`);
			paid = 0n;
			periods++;
		}
	});
	console.log(JSON.stringify({ lines: ls.length, periods, balances, head: prev }));
	break;
}
default:
	console.error('xcheck: unknown command ' + cmd);
	process.exit(2);
}
