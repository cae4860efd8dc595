// Independent reference for hive-read's cross-check tests and benchmark, on
// smartmeter-obis 4.0.0 (npm):
//
//   node obis-read.js dsmr FILE                     DSMR P1 telegrams (D0Protocol)
//   node obis-read.js sml FILE                      SML 1.04 files (SmlProtocol)
//   node obis-read.js p1crypt FILE --key-file KEY   encrypted P1 (Smarty), decrypted
//                                                   here with node's AES-128-GCM, then
//                                                   read as dsmr
//
// FILE may be - for stdin. One JSON line per telegram (or SML file) that
// smartmeter-obis delivered, in stream order, with the values hive-read's
// "reading" records carry, in the same units (Wh, W, V, A):
//
//   import_wh, export_wh               1.8.0 / 2.8.0 where the meter sent them, else
//                                      the exact sum of the tariff registers
//   import_tariff_wh, export_tariff_wh 1.8.t / 2.8.t, tariff t at index t-1 (null: not sent)
//   power_import_w, power_export_w     1.7.0 / 2.7.0
//   power_w                            16.7.0 where sent, else 1.7.0 − 2.7.0
//   phases                             [{phase, voltage_v, current_a, power_import_w,
//                                      power_export_w, power_w (36/56/76.7.0)}]
//   meter_id                           0-0:96.1.1 (else 0-0:42.0.0, 96.1.0, 1-0:0.0.9)
//                                      exactly as smartmeter-obis gives it (DSMR hex not decoded)
//   time                               0-0:1.0.0 as sent ("170102192002W"): smartmeter-obis
//                                      does not interpret timestamps
//   version, tariff, mbus, model (SML 129-129:199.130.3), manufacturer and
//   identification (DSMR, from D0Protocol's sign-on parsing)
//   registers                          every OBIS id smartmeter-obis read → its values
//                                      as it gives them ([value, unit] pairs)
//
// Nothing here checks a CRC: smartmeter-obis does not check DSMR CRCs, and
// only the per-message CRCs of SML (not the file's). Errors smartmeter-obis
// reports go to stderr; the exit status is 1 when there was any.
//
// Splitting the stream into messages is done the way smartmeter-obis's
// SerialResponseTransport does it (lib/transports/SerialResponseTransport.js):
// bytes arrive in chunks of at most 2048 (its serialport highWaterMark), are
// appended to a buffer of at most 300000 bytes (transportSerialMaxBufferSize),
// and while protocol.checkMessage(buffer) is true, protocol.handleMessage(buffer)
// parses one message and returns the bytes after it, which become the buffer.
// Two differences, both only where a file differs from a serial line:
//  - The transport resets a D0 session (protocol.initState()) from a timer
//    that scheduleNextRun() starts after each telegram (requestInterval 0);
//    a meter sends telegrams a second or more apart, so the timer always fires
//    before the next one arrives. A file has no such gaps, so the reset is
//    done here, before the next message is looked for. (Without it, a second
//    telegram in the same chunk is lost: at communicationState 10 checkMessage
//    matches it and handleMessage returns null.)
//  - The transport allocates a fresh zeroed 300000-byte buffer after every
//    message; this driver keeps the remaining bytes in a Buffer of their own
//    size instead. The messages and values are the same; the benchmark's
//    smartmeter-obis figures are, if anything, better than the transport's.
// An error that makes the transport reset itself (transportResetCallback)
// drops the buffered bytes here too, and the D0 session starts afresh.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const path = require('path');
const SmartmeterObis = require(path.join(__dirname, 'node_modules', 'smartmeter-obis'));

const CHUNK = 2048;
const MAX_BUFFER = 300000;

function usage() {
	process.stderr.write('usage: node obis-read.js dsmr|sml FILE | p1crypt FILE --key-file KEYFILE\n');
	process.exit(2);
}

// ---- exact decimals ----
//
// smartmeter-obis hands over numbers as JavaScript doubles: DSMR values from
// parseFloat/parseInt of the meter's text ("000004.426" → 4.426), SML values
// as raw × 10^scaler, then for Wh ÷ 1000 to kWh, rounded by
// parseFloat(value.toFixed(10)). No rounding is done here: String(x) is the
// shortest decimal that reads back as the same double, and a decimal of at
// most 15 significant digits always survives the trip text → double → text,
// so String(x) gives back exactly the digits smartmeter-obis parsed (or, for
// SML, its toFixed(10) result), without leading or trailing zeros. The unit
// change (kWh → Wh is × 10^3) is then a shift of the decimal point on that
// text, with BigInt digits, so no binary fraction enters. A value with more
// than 15 significant digits cannot be recovered exactly from a double: it is
// reported on stderr and listed in the record's "inexact" member.
// Strings smartmeter-obis kept as text (it keeps "0002" and "00001.001"
// because parseFloat would lose their leading zeros) are read the same way.

// {digits: BigInt, exp: int} for a decimal text (plain or with an exponent), or null.
function decParse(text) {
	const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
	if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) return null;
	const frac = m[3] || '';
	let digits = BigInt((m[2] || '0') + frac);
	if (m[1] === '-') digits = -digits;
	return { digits, exp: (m[4] ? parseInt(m[4], 10) : 0) - frac.length };
}

function sigDigits(text) {
	const d = text.replace(/^[+-]/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
	return d.length;
}

// The decimal as a JSON number text without exponent ("4426", "0.48", "-12.5").
function decFormat(d) {
	let { digits, exp } = d;
	while (exp < 0 && digits % 10n === 0n && digits !== 0n) { digits /= 10n; exp++; }
	if (digits === 0n) return '0';
	const neg = digits < 0n;
	let s = (neg ? -digits : digits).toString();
	if (exp >= 0) s += '0'.repeat(exp);
	else {
		const k = -exp;
		if (s.length <= k) s = '0'.repeat(k - s.length + 1) + s;
		s = s.slice(0, s.length - k) + '.' + s.slice(s.length - k);
	}
	return (neg ? '-' : '') + s;
}

function decAdd(a, b) {
	const e = Math.min(a.exp, b.exp);
	return { digits: a.digits * 10n ** BigInt(a.exp - e) + b.digits * 10n ** BigInt(b.exp - e), exp: e };
}

function decNeg(a) {
	return { digits: -a.digits, exp: a.exp };
}

// A JSON number written from its exact text.
class Num {
	constructor(d) { this.text = decFormat(d); }
}

// Units smartmeter-obis passes on (DSMR: as the meter wrote them; SML: its
// resolveUnit names, Wh already turned into kWh) and their power of ten.
const UNITS = {
	energy: { Wh: 0, kWh: 3, MWh: 6 },
	power: { W: 0, kW: 3, MW: 6 },
	voltage: { V: 0, kV: 3 },
	current: { A: 0, mA: -3 },
};

// ---- one message's registers into a record ----

function idParts(id) {
	const m = /^(\d+)-(\d+):(\d+)\.(\d+)\.(\d+)(?:\*(\d+))?$/.exec(id);
	if (!m) return null;
	return { a: +m[1], b: +m[2], c: +m[3], d: +m[4], e: +m[5], f: m[6] === undefined ? 255 : +m[6] };
}

function makeRecord(result, extra) {
	const rec = {};
	const inexact = [];
	const problems = [];
	const registers = {};
	const ignored = [];   // registers smartmeter-obis read that no field here takes

	// value i of a register as an exact decimal in the unit kind's base unit.
	function measure(field, m, i, kind) {
		const v = m.values[i];
		if (!v) { problems.push(field + ': no value'); return null; }
		let text;
		if (typeof v.value === 'number') text = String(v.value);
		else if (typeof v.value === 'string') text = v.value;
		else { problems.push(field + ': not a number'); return null; }
		const d = decParse(text);
		if (d === null) { problems.push(field + ': not a number: ' + text); return null; }
		if (sigDigits(text) > 15) inexact.push(field);
		let scale = 0;
		if (kind) {
			if (!(v.unit in UNITS[kind])) { problems.push(field + ': unit ' + JSON.stringify(v.unit)); return null; }
			scale = UNITS[kind][v.unit];
		}
		return { digits: d.digits, exp: d.exp + scale };
	}
	function text(m, i) {
		const v = m.values[i];
		if (!v) return null;
		return typeof v.value === 'string' ? v.value : String(v.value);
	}
	function integer(field, m, i) {
		const d = measure(field, m, i, null);
		while (d !== null && d.exp < 0 && d.digits % 10n === 0n) { d.digits /= 10n; d.exp++; }
		if (d === null || d.exp < 0) return null;
		return Number(d.digits * 10n ** BigInt(d.exp));
	}

	const imp = [], exp = [];
	let impTotal = null, expTotal = null, pImp = null, pExp = null, pNet = null;
	const ph = [{}, {}, {}];
	const mbus = {};
	let meterId = {};

	for (const key of Object.keys(result)) {
		const m = result[key];
		registers[key] = m.values.map(v => {
			const d = typeof v.value === 'number' ? decParse(String(v.value)) : null;
			return [d ? new Num(d) : v.value, v.unit];
		});
		if (!store(key, m, idParts(key))) ignored.push(key);
	}

	// Puts register key into its field; false when no field takes it.
	function store(key, m, o) {
		if (!o || o.f !== 255) return false;  // a billing-period register (F) is history, not the current value
		const cde = o.c + '.' + o.d + '.' + o.e;
		if (o.a === 1) {
			// Every tariff the meter sends (E = 1…63 in IEC 62056-61), not only the 8 hive-read keeps.
			if (o.c === 1 && o.d === 8) {
				if (o.e === 0) impTotal = measure(key, m, 0, 'energy');
				else imp[o.e - 1] = measure(key, m, 0, 'energy');
				return true;
			}
			if (o.c === 2 && o.d === 8) {
				if (o.e === 0) expTotal = measure(key, m, 0, 'energy');
				else exp[o.e - 1] = measure(key, m, 0, 'energy');
				return true;
			}
			if (cde === '1.7.0') { pImp = measure(key, m, 0, 'power'); return true; }
			if (cde === '2.7.0') { pExp = measure(key, m, 0, 'power'); return true; }
			if (cde === '16.7.0') { pNet = measure(key, m, 0, 'power'); return true; }
			if (o.d === 7 && o.e === 0) {
				const base = [[21, 'power_import_w', 'power'], [22, 'power_export_w', 'power'],
				              [31, 'current_a', 'current'], [32, 'voltage_v', 'voltage'],
				              [36, 'power_w', 'power']];
				for (let p = 0; p < 3; p++) {
					for (const [c, field, kind] of base) {
						if (o.c === c + 20 * p) {
							ph[p][field] = measure(key, m, 0, kind);
							return true;
						}
					}
				}
			}
			if (cde === '0.2.8' && o.b === 3) { rec.version = text(m, 0); return true; }
			if (cde === '96.1.0') { meterId.m96 = meterId.m96 || text(m, 0); return true; }
			if (cde === '0.0.9') { meterId.device = text(m, 0); return true; }
			return false;
		}
		if (o.a === 0 && o.b === 0) {
			if (cde === '1.0.0') rec.time = text(m, 0);
			else if (cde === '96.1.1') meterId.equipment = text(m, 0);
			else if (cde === '42.0.0') meterId.smarty = text(m, 0);
			else if (cde === '96.1.0') meterId.m96 = meterId.m96 || text(m, 0);
			else if (cde === '96.1.4') rec.version = text(m, 0);
			else if (cde === '96.14.0') rec.tariff = integer(key, m, 0);
			else return false;
			return true;
		}
		if (o.a === 0 && o.b >= 1 && o.b <= 4) {   // M-Bus channel b
			const ch = () => mbus[o.b] || (mbus[o.b] = { channel: o.b });
			if (cde === '24.1.0') ch().device_type = integer(key, m, 0);
			else if (cde === '96.1.0') ch().id = text(m, 0);
			else if (cde === '24.2.1' || cde === '24.2.3') {
				ch().time = text(m, 0);
				const v = m.values[1];
				if (v) { ch().unit = v.unit; ch().value = measure(key, m, 1, null); }
			} else if (cde === '24.3.0') {
				// DSMR 2.2/3.0: (time)(00)(60)(1)(0-1:24.2.1)(m3) and the value on the next line.
				ch().unit = text(m, 5);
				ch().value = measure(key, m, 6, null);
			} else return false;
			return true;
		}
		if (o.a === 129 && o.b === 129 && cde === '199.130.3') { rec.model = text(m, 0); return true; }
		return false;
	}

	for (let t = 0; t < Math.max(imp.length, exp.length); t++) {
		if (imp[t] === undefined) imp[t] = null;
		if (exp[t] === undefined) exp[t] = null;
	}
	const sum = list => list.filter(x => x).reduce((a, b) => (a === null ? b : decAdd(a, b)), null);
	// Both lists as long as the highest tariff sent in either; a list with no value at all is left out.
	if (imp.some(x => x)) rec.import_tariff_wh = imp.map(x => (x ? new Num(x) : null));
	if (exp.some(x => x)) rec.export_tariff_wh = exp.map(x => (x ? new Num(x) : null));
	const it = impTotal || sum(imp), et = expTotal || sum(exp);
	if (it) rec.import_wh = new Num(it);
	if (et) rec.export_wh = new Num(et);
	if (pImp) rec.power_import_w = new Num(pImp);
	if (pExp) rec.power_export_w = new Num(pExp);
	if (pNet) rec.power_w = new Num(pNet);
	else if (pImp || pExp) {
		const zero = { digits: 0n, exp: 0 };
		rec.power_w = new Num(decAdd(pImp || zero, decNeg(pExp || zero)));
	}
	let nph = 0;
	for (let p = 0; p < 3; p++) if (Object.values(ph[p]).some(x => x)) nph = p + 1;
	if (nph > 0) {
		rec.phases = [];
		for (let p = 0; p < nph; p++) {
			const o = { phase: p + 1 };
			for (const k of Object.keys(ph[p]).sort()) if (ph[p][k]) o[k] = new Num(ph[p][k]);
			rec.phases.push(o);
		}
	}
	const chans = Object.keys(mbus).map(Number).sort((a, b) => a - b);
	if (chans.length > 0) {
		rec.mbus = chans.map(c => {
			const ch = mbus[c];
			if (ch.value) ch.value = new Num(ch.value);
			else delete ch.value;
			return ch;
		});
	}
	const id = meterId.equipment || meterId.smarty || meterId.m96 || meterId.device;
	if (id) rec.meter_id = id;
	Object.assign(rec, extra);
	rec.registers = registers;
	if (ignored.length > 0) rec.ignored = ignored.sort();
	if (inexact.length > 0) {
		rec.inexact = inexact;
		process.stderr.write('obis-read: more than 15 significant digits, not exact: ' + inexact.join(', ') + '\n');
	}
	if (problems.length > 0) rec.problems = problems;
	return rec;
}

// JSON with object keys sorted and Num written as its exact text.
function json(v) {
	if (v instanceof Num) return v.text;
	if (v === null || v === undefined) return 'null';
	if (Array.isArray(v)) return '[' + v.map(json).join(',') + ']';
	if (typeof v === 'object')
		return '{' + Object.keys(v).sort().filter(k => v[k] !== undefined).map(k => JSON.stringify(k) + ':' + json(v[k])).join(',') + '}';
	return JSON.stringify(v);
}

// ---- the transport: chunks → buffer → checkMessage/handleMessage ----

const out = [];
let outBytes = 0;
function emit(line) {
	out.push(line);
	outBytes += line.length + 1;
	if (outBytes > 1 << 16) flush();
}
function flush() {
	if (out.length > 0) fs.writeSync(1, out.join('\n') + '\n');
	out.length = 0;
	outBytes = 0;
}

let errors = 0;
let messages = 0;

function driver(protocolName) {
	const options = { debug: 0, logger: () => {}, requestInterval: 0, protocolSmlIgnoreInvalidCRC: false };
	let protocol;
	let reset = false;
	const store = (err, result) => {
		if (err) {
			errors++;
			const msg = String(err.message || err);
			process.stderr.write('obis-read: ' + (msg.length > 200 ? msg.slice(0, 200) + '…' : msg) + '\n');
			return;
		}
		messages++;
		const extra = {};
		if (protocolName === 'dsmr') {
			extra.manufacturer = protocol.deviceManufacturer;
			extra.identification = protocol.deviceIdentification;
		}
		emit(json(makeRecord(result, extra)));
	};
	if (protocolName === 'sml') protocol = new SmartmeterObis.SmlProtocol(options, store);
	else protocol = new SmartmeterObis.D0Protocol(options, store);
	protocol.setTransportResetCallback(() => { reset = true; });
	protocol.initState();

	let pending = Buffer.alloc(0);

	function processData() {
		if (pending.length === 0) return false;
		if (protocol.isProcessComplete()) protocol.initState();   // the scheduleNextRun timer (see top)
		if (!protocol.checkMessage(pending)) return false;
		const rest = protocol.handleMessage(pending);
		pending = rest && rest.length > 0 ? rest : Buffer.alloc(0);
		if (reset) {   // transportResetCallback: the transport closes the port and starts over
			reset = false;
			pending = Buffer.alloc(0);
			protocol.initState();
		}
		return true;
	}

	function onData(chunk) {
		pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
		let overrun = false;
		if (pending.length > MAX_BUFFER) {
			pending = pending.subarray(0, MAX_BUFFER);
			overrun = true;
		}
		while (processData() && pending.length > 0)
			if (overrun && !protocol.checkMessageAfterBufferOverrun()) break;
		if (pending.length === MAX_BUFFER) {
			store(new Error('Maximal Buffer size reached without matching message'));
			pending = Buffer.alloc(0);
		} else if (overrun) {
			pending = Buffer.alloc(0);
		}
	}

	return {
		feed(data) {
			for (let i = 0; i < data.length; i += CHUNK) onData(data.subarray(i, Math.min(i + CHUNK, data.length)));
		},
		finish() {
			// Bytes left at the end are no error of smartmeter-obis's (a transport
			// just waits for the rest), but a cut message is worth a note. After a
			// DSMR telegram, D0Protocol hands back the end of its CRC line (it
			// skips "!" and one character): that is not a cut message.
			const left = pending;
			pending = Buffer.alloc(0);
			if (left.length > 0 && !(protocolName === 'dsmr' && /^[0-9A-Za-z]*\r?\n?$/.test(left.toString('latin1'))))
				process.stderr.write('obis-read: ' + left.length + ' bytes at the end of input are no complete message\n');
			return left.length;
		},
	};
}

// ---- encrypted P1 (DLMS general-glo-ciphering, as Luxembourg's Smarty sends) ----
//
// 0xDB, 8, system title (8), length (<0x80, or 0x81 n, or 0x82 n n) of what
// follows: security byte 0x30, frame counter (4), ciphertext, GCM tag (12).
// IV = title ‖ counter; AAD = 0x30 ‖ authentication key (Smarty's fixed
// 00112233445566778899AABBCCDDEEFF). Frames whose tag fails are reported and
// skipped from their next byte. smartmeter-obis has no decryption; this is
// node's (OpenSSL's) AES-GCM, only to hand smartmeter-obis the plaintext.
const SMARTY_AAD_KEY = Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex');

function decryptor(key, onPlain) {
	let buf = Buffer.alloc(0);
	return {
		feed(data) {
			buf = buf.length > 0 ? Buffer.concat([buf, data]) : data;
			let i = 0;
			for (;;) {
				while (i < buf.length && buf[i] !== 0xdb) i++;
				if (buf.length - i < 13) break;
				if (buf[i + 1] !== 8) { i++; continue; }
				let p = i + 10, len;
				if (buf[p] < 0x80) { len = buf[p]; p += 1; }
				else if (buf[p] === 0x81) { len = buf[p + 1]; p += 2; }
				else if (buf[p] === 0x82) { if (buf.length - p < 3) break; len = buf.readUInt16BE(p + 1); p += 3; }
				else { i++; continue; }
				if (len < 17 || buf[p] !== 0x30) { i++; continue; }
				if (buf.length < p + len) break;
				const title = buf.subarray(i + 2, i + 10);
				const counter = buf.subarray(p + 1, p + 5);
				const cipher = buf.subarray(p + 5, p + len - 12);
				const tag = buf.subarray(p + len - 12, p + len);
				try {
					const d = crypto.createDecipheriv('aes-128-gcm', key, Buffer.concat([title, counter]), { authTagLength: 12 });
					d.setAAD(Buffer.concat([Buffer.from([0x30]), SMARTY_AAD_KEY]));
					d.setAuthTag(tag);
					const plain = Buffer.concat([d.update(cipher), d.final()]);
					onPlain(plain);
					i = p + len;
				} catch (e) {
					errors++;
					process.stderr.write('obis-read: encrypted frame at byte ' + i + ': GCM tag does not verify\n');
					i++;
				}
			}
			buf = buf.subarray(i);
		},
		finish() {
			if (buf.length > 0) process.stderr.write('obis-read: ' + buf.length + ' bytes at the end of input are no complete frame\n');
		},
	};
}

// ---- main ----

function main(argv) {
	const [proto, file, ...rest] = argv;
	if (!['dsmr', 'sml', 'p1crypt'].includes(proto) || !file) usage();
	let key = null;
	if (proto === 'p1crypt') {
		const k = rest.indexOf('--key-file');
		if (k < 0 || !rest[k + 1]) usage();
		key = Buffer.from(fs.readFileSync(rest[k + 1], 'utf8').trim(), 'hex');
		if (key.length !== 16) { process.stderr.write('obis-read: the key must be 32 hex digits\n'); process.exit(2); }
	} else if (rest.length > 0) usage();

	const d = driver(proto === 'sml' ? 'sml' : 'dsmr');
	const sink = key ? decryptor(key, plain => d.feed(plain)) : d;
	const fd = file === '-' ? 0 : fs.openSync(file, 'r');
	const chunk = Buffer.alloc(1 << 16);
	for (;;) {
		let n;
		try {
			n = fs.readSync(fd, chunk, 0, chunk.length, null);
		} catch (e) {
			if (e.code === 'EAGAIN') continue;
			if (e.code === 'EOF') break;
			throw e;
		}
		if (n === 0) break;
		sink.feed(Buffer.from(chunk.subarray(0, n)));   // a copy: the driver may keep it
	}
	if (key) sink.finish();
	d.finish();
	flush();
	if (errors > 0) process.stderr.write('obis-read: ' + messages + ' messages, ' + errors + ' errors\n');
	process.exitCode = errors > 0 ? 1 : 0;
}

main(process.argv.slice(2));
