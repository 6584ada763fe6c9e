// Generates, from the step-2 screen's own operations and the served schema:
//
//   operations/*.graphql   every operation and fragment of ../frontend_stub/operations.js, one
//                          definition per file (QuoteStep2.query.graphql, QuoteStep2.fragment.graphql...)
//   generated/graphql.ts   their TypeScript types and typed documents (graphql-codegen), from
//                          ../schema.graphql and those files
//
// frontend_stub/operations.js stays the one source of truth: this script imports it as the
// browser does and takes every exported string that is a GraphQL document, whatever its name
// or its layout. Run it with `make types` (or `npm run generate` here); the generated files are
// committed, and tests/test_types.py fails when they are stale.
//
//   node generate.mjs [--out DIR]     writes into DIR instead of this folder (the test does)

import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';

import { generate } from '@graphql-codegen/cli';
import { Kind, parse, print } from 'graphql';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const OPERATIONS_JS = path.join(ROOT, 'frontend_stub', 'operations.js');
const SCHEMA = path.join(ROOT, 'schema.graphql');
const SOURCE = 'frontend_stub/operations.js';

const KIND = { query: 'query', mutation: 'mutation', subscription: 'subscription' };
// A string that starts like GraphQL must parse: a typo fails the generation, never drops an operation.
const LOOKS_LIKE_GRAPHQL = /^\s*(#[^\n]*\n\s*)*(query|mutation|subscription|fragment|\{)/;

function outDir(argv) {
  const at = argv.indexOf('--out');
  return at >= 0 ? path.resolve(argv[at + 1]) : HERE;
}

async function importOperations() {
  try {
    return await import(pathToFileURL(OPERATIONS_JS).href);
  } catch (error) {
    // Node before 20.19 does not detect ES module syntax in a .js file outside a "type":
    // "module" package: import the same text as a module (operations.js imports nothing).
    if (!(error instanceof SyntaxError)) throw error;
    const text = readFileSync(OPERATIONS_JS, 'utf8');
    return import(`data:text/javascript;base64,${Buffer.from(text).toString('base64')}`);
  }
}

/** Every operation and fragment of operations.js, once each, by file name. */
export async function definitions() {
  const module = await importOperations();
  const documents = [];
  for (const [constant, value] of Object.entries(module)) {
    if (typeof value !== 'string') continue;
    try {
      documents.push({ constant, document: parse(value) });
    } catch (error) {
      if (LOOKS_LIKE_GRAPHQL.test(value)) {
        throw new Error(`${SOURCE}: ${constant} is not valid GraphQL: ${error.message}`);
      }
      // a string that is not GraphQL
    }
  }
  // A fragment spliced into other constants is credited to the smallest one that holds it:
  // its own constant.
  documents.sort((a, b) => a.document.definitions.length - b.document.definitions.length);
  const found = new Map(); // file name -> { text, from }
  for (const { constant, document } of documents) {
    for (const definition of document.definitions) {
      let file;
      if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        file = `${definition.name.value}.fragment.graphql`;
      } else if (definition.kind === Kind.OPERATION_DEFINITION) {
        if (!definition.name) throw new Error(`${SOURCE}: ${constant} has an operation without a name`);
        file = `${definition.name.value}.${KIND[definition.operation]}.graphql`;
      } else {
        throw new Error(`${SOURCE}: ${constant} holds a ${definition.kind}, not an operation or a fragment`);
      }
      const text = print(definition);
      const seen = found.get(file);
      if (seen && seen.text !== text) {
        throw new Error(`${SOURCE}: ${file.replace(/\.graphql$/, '')} is defined twice, differently (${seen.from} and ${constant})`);
      }
      if (!seen) found.set(file, { text, from: constant });
    }
  }
  if (![...found.keys()].some((file) => !file.endsWith('.fragment.graphql'))) {
    throw new Error(`${SOURCE}: no GraphQL operation found among its exports`);
  }
  return new Map([...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

async function writeDocuments(dir, found) {
  await mkdir(dir, { recursive: true });
  for (const file of await readdir(dir)) {
    if (file.endsWith('.graphql') && !found.has(file)) await rm(path.join(dir, file)); // gone from operations.js
  }
  for (const [file, { text, from }] of found) {
    const header = `# ${from} of ${SOURCE}, written by \`make types\`: edit operations.js, not this file.\n`;
    await writeFile(path.join(dir, file), `${header}${text}\n`);
  }
}

const HEADER = `/* The types of the step-2 operations (../operations/*.graphql, from ${SOURCE}) over
 * schema.graphql, generated by graphql-codegen through \`make types\`: do not edit. */
`;

async function writeTypes(dir, documentsDir) {
  const target = path.join(dir, 'generated', 'graphql.ts');
  const outputs = await generate(
    {
      schema: SCHEMA,
      documents: path.join(documentsDir, '*.graphql'),
      silent: true,
      errorsOnly: true,
      generates: {
        [target]: {
          plugins: ['typescript-operations', 'typed-document-node'],
          config: {
            // Plain string unions, not TypeScript enums: they read the same in React and Vue,
            // and values from JSON (events, cached answers) need no conversion.
            enumsAsTypes: true,
            useTypeImports: true,
            scalars: { ID: 'string', DateTime: 'string' },
            strictScalars: true,
          },
        },
      },
    },
    false,
  );
  await mkdir(path.dirname(target), { recursive: true });
  for (const output of outputs) await writeFile(output.filename, HEADER + output.content);
}

async function main() {
  const dir = outDir(process.argv);
  const shown = path.relative(process.cwd(), dir) || '.';
  process.chdir(HERE); // graphql-codegen finds its plugins from the working folder
  const documentsDir = path.join(dir, 'operations');
  const found = await definitions();
  await writeDocuments(documentsDir, found);
  await writeTypes(dir, documentsDir);
  console.log(`${shown}: ${found.size} documents in operations/, their types in generated/graphql.ts`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error.message || error);
    process.exit(1);
  });
}
