// Several operations of one kind in few requests: GraphQL runs aliased fields of one
// document (a mutation's one after another), and the API allows 15 aliases a request
// (api/schema.py), so lists go in batches of ten. Each item keeps its own typed answer.
import { gql } from "/ui/okno.js";

const BATCH = 10;

/** Run `field` (e.g. "retryIncident(input: $v) { … }", its variable `$v` of `type`) once per
 * value; resolves to the answers in order. `operation` is "query" or "mutation". */
export async function each(operation, type, field, values) {
  const answers = [];
  for (let start = 0; start < values.length; start += BATCH) {
    const chunk = values.slice(start, start + BATCH);
    const variables = {};
    const declared = [];
    const fields = [];
    chunk.forEach((value, i) => {
      variables[`v${i}`] = value;
      declared.push(`$v${i}: ${type}`);
      fields.push(`a${i}: ${field.replace("$v", `$v${i}`)}`);
    });
    const data = await gql(`${operation}(${declared.join(", ")}) { ${fields.join(" ")} }`, variables);
    chunk.forEach((_, i) => answers.push(data[`a${i}`]));
  }
  return answers;
}
