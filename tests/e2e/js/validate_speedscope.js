// Validate speedscope files against the schema the npm package `speedscope`
// ships (dist/release/file-format-schema.json), with ajv.
// usage: NODE_PATH=DIR/node_modules node validate_speedscope.js FILE...
const fs = require('fs');
const path = require('path');
const Ajv = require('ajv');
const schemaPath = path.join(path.dirname(require.resolve('speedscope/package.json')),
                             'dist/release/file-format-schema.json');
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const ajv = new Ajv({allErrors: true, strict: false});
ajv.addSchema(schema, 'speedscope');
const validate = ajv.getSchema('speedscope#/definitions/FileFormat.File');
let bad = 0;
for (const f of process.argv.slice(2)) {
  const doc = JSON.parse(fs.readFileSync(f, 'utf8'));
  if (validate(doc)) {
    // what the schema cannot say: samples and weights of equal length,
    // frame indices inside the frame table, and weights summing to the
    // profile's total (endValue)
    const n = doc.shared.frames.length;
    for (const p of doc.profiles) {
      if (p.type !== 'sampled') continue;
      const sum = p.weights.reduce((a, b) => a + b, 0);
      if (p.samples.length !== p.weights.length ||
          p.samples.some(s => s.some(i => i < 0 || i >= n))) {
        console.log(`${f}: samples and weights or frame indices do not agree`);
        bad++;
      } else if (Math.abs(sum - (p.endValue - p.startValue)) > 1e-9 * Math.max(1, sum)) {
        console.log(`${f}: weights sum to ${sum}, the profile spans ${p.endValue - p.startValue}`);
        bad++;
      }
    }
    if (!bad) console.log(`${f}: valid`);
  } else {
    console.log(`${f}: ${ajv.errorsText(validate.errors)}`);
    bad++;
  }
}
process.exit(bad ? 1 : 0);
