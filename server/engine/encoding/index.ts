/** The DeployR encoding of R objects, both directions. */
export * from './types';
export { encodeRObject, summarizeRObject, encodingTypeOf, rclassOf } from './to-markup';
export {
  decodeInputs,
  decodeInput,
  decodeCsvInputs,
  csvValue,
  InputEncodingError,
  type DecodedInput,
  type InputDecodeOptions,
} from './from-markup';
export {
  stringifyMarkup,
  formatDouble,
  hasDoubleValues,
  parseJsonTree,
  jsonTreeOf,
  JsonSyntaxError,
  type JsonNode,
} from './json';
