// Validates CSAF 2.0 documents with BSI's csaf-validator-lib: the strict schema and every
// mandatory test (6.1.x). Reads one JSON document per line on stdin and writes, per line, one
// JSON result: {"isValid": bool, "failures": [{"test", "instancePath", "message"}]}. A line that
// is not JSON gets a failure naming its line number. Runs offline.
import { createInterface } from 'node:readline'
import validateStrict from '@secvisogram/csaf-validator-lib/validateStrict.js'
import * as mandatory from '@secvisogram/csaf-validator-lib/mandatoryTests.js'
import { csaf_2_0_strict } from '@secvisogram/csaf-validator-lib/schemaTests.js'

const tests = [csaf_2_0_strict, ...Object.values(mandatory)]

async function check(line, lineNumber) {
  let doc
  try {
    doc = JSON.parse(line)
  } catch (error) {
    const message = `stdin line ${lineNumber}: not JSON: ${error.message}`
    return { isValid: false, failures: [{ test: 'json', instancePath: '', message }] }
  }
  const result = await validateStrict(tests, doc)
  const failures = result.tests.flatMap((test) =>
    test.errors.map((error) => ({ test: test.name, ...error }))
  )
  return { isValid: result.isValid, failures }
}

let lineNumber = 0
for await (const line of createInterface({ input: process.stdin })) {
  lineNumber += 1
  if (!line.trim()) continue
  process.stdout.write(JSON.stringify(await check(line, lineNumber)) + '\n')
}
