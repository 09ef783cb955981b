#!/usr/bin/env node
// lint.js CONFIG DOCUMENT - `make openapi-lint`: lint DOCUMENT (the OpenAPI
// document gatehouse generates) with the rules of CONFIG (redocly.yaml),
// through Redocly's openapi-core library, the engine of `redocly lint`.
// The library runs on Debian 12's own Node 18; the CLI around it no
// longer does (docs/DECISIONS.md).  Prints every problem with its place
// in the document and exits 1 when there is any error or warning
// (recommended-strict makes every finding an error), 2 on bad usage.
'use strict';
const { loadConfig, lint, formatProblems, getTotals } =
    require('@redocly/openapi-core');
const { version } = require('@redocly/openapi-core/package.json');

async function main(argv) {
	if (argv.length !== 2) {
		console.error('usage: lint.js CONFIG DOCUMENT');
		return 2;
	}
	const config = await loadConfig({ configPath: argv[0] });
	const problems = await lint({ ref: argv[1], config });
	const totals = getTotals(problems);
	formatProblems(problems, { format: 'codeframe', totals, version });
	const n = totals.errors + totals.warnings;
	console.log(n === 0
	    ? `openapi-lint: ${argv[1]} is valid (openapi-core ${version})`
	    : `openapi-lint: ${totals.errors} error(s), ` +
	      `${totals.warnings} warning(s) in ${argv[1]}`);
	return n === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then((rc) => { process.exitCode = rc; },
    (e) => { console.error('openapi-lint:', e.message); process.exitCode = 2; });
