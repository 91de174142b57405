import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** OpenAI's published response schemas (copied from openai-openapi, MIT; see spec/openai/README.md). */
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
(addFormats as unknown as typeof addFormats.default)(ajv);

const load = (name: string) => JSON.parse(readFileSync(new URL(`../spec/openai/${name}.schema.json`, import.meta.url), 'utf8'));

/** The schema's complaints about `body`, or [] when it conforms. */
export function schemaErrors(name: 'CreateChatCompletionResponse' | 'ErrorResponse' | 'Response' | 'ListModelsResponse' | 'Model', body: unknown): string[] {
  const validate = ajv.getSchema(name) ?? (ajv.addSchema(load(name), name), ajv.getSchema(name)!);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
