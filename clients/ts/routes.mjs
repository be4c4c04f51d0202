// Fails unless every operation of the spec is in the generated TypeScript client: each path
// of `paths` in generated/schema.d.ts has each of its spec methods typed as an operation
// (not `never`), and `operations` holds every operationId. Read with the TypeScript compiler
// API, so formatting changes of the generator do not matter.
import { readFileSync } from "node:fs";
import ts from "typescript";

const [specPath, dtsPath] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specPath, "utf8"));
const source = ts.createSourceFile(dtsPath, readFileSync(dtsPath, "utf8"), ts.ScriptTarget.ES2022, true);

function members(name) {
  const decl = source.statements.find((s) => ts.isInterfaceDeclaration(s) && s.name.text === name);
  if (!decl) throw new Error(`${dtsPath} has no interface ${name}`);
  return new Map(decl.members.map((m) => [m.name.text, m]));
}

const paths = members("paths");
const operations = members("operations");
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const missing = [];
let count = 0;
for (const [path, item] of Object.entries(spec.paths)) {
  for (const method of METHODS.filter((m) => item[m])) {
    count++;
    const op = item[method];
    const generated = paths.get(path);
    const prop = generated?.type?.members?.find((m) => m.name?.text === method);
    const typed = prop && !prop.questionToken && prop.type.kind !== ts.SyntaxKind.NeverKeyword;
    if (!typed) missing.push(`${method.toUpperCase()} ${path}: not in paths`);
    if (!operations.has(op.operationId)) missing.push(`${method.toUpperCase()} ${path}: no operations["${op.operationId}"]`);
  }
}
if (missing.length) {
  console.error(`the TypeScript client lacks ${missing.length} of ${count} operations:\n  ${missing.join("\n  ")}`);
  process.exit(1);
}
console.log(`ok   the TypeScript client has all ${count} operations of the spec`);
