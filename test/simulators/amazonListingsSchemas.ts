import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv, type ValidateFunction } from "ajv";

// Amazon's own JSON Schemas (test/fixtures/amazon-listings-feed, from amzn/selling-partner-api-models,
// Apache 2.0): every feed document Lockstep builds and every report the simulator writes is checked against them.

const dir = path.join(__dirname, "../fixtures/amazon-listings-feed");
const ajv = new Ajv({ strict: false, allErrors: true });

function compile(file: string): ValidateFunction {
  const schema = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as Record<string, unknown>;
  delete schema.$schema;
  delete schema.$id;
  return ajv.compile(schema);
}

const feed = compile("listings-feed-schema-v2.json");
const report = compile("listings-feed-processing-report-schema-v2.json");

function errorsOf(validate: ValidateFunction, value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || "/"} ${error.message ?? ""}`);
}

/** Schema violations of a JSON_LISTINGS_FEED document (empty: valid). */
export const feedSchemaErrors = (document: unknown) => errorsOf(feed, document);
/** Schema violations of a processing report (empty: valid). */
export const reportSchemaErrors = (document: unknown) => errorsOf(report, document);
