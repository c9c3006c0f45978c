/**
 * Just enough of the protobuf wire format to read an OTLP `ExportTraceServiceRequest`
 * (opentelemetry/proto/collector/trace/v1): the receiver of the tests needs the ids,
 * names, kinds and each resource's `service.name`, nothing else.
 */

/** The fields of one message: field number → its raw values, in order. */
type Fields = Map<number, Array<Uint8Array | bigint>>;

function readVarint(bytes: Uint8Array, at: { offset: number }): bigint {
  let value = 0n;
  let shift = 0n;
  for (;;) {
    const byte = bytes[at.offset++];
    if (byte === undefined) throw new Error('truncated varint');
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return value;
    shift += 7n;
  }
}

function fieldsOf(bytes: Uint8Array): Fields {
  const fields: Fields = new Map();
  const at = { offset: 0 };
  while (at.offset < bytes.length) {
    const tag = Number(readVarint(bytes, at));
    const [field, wireType] = [tag >>> 3, tag & 7];
    let value: Uint8Array | bigint;
    if (wireType === 0) value = readVarint(bytes, at);
    else if (wireType === 2) {
      const length = Number(readVarint(bytes, at));
      value = bytes.subarray(at.offset, at.offset + length);
      at.offset += length;
    } else if (wireType === 1 || wireType === 5) {
      // fixed64 (timestamps) and fixed32: skipped, never read here.
      at.offset += wireType === 1 ? 8 : 4;
      continue;
    } else throw new Error(`unsupported wire type ${wireType}`);
    const list = fields.get(field) ?? [];
    list.push(value);
    fields.set(field, list);
  }
  return fields;
}

const messages = (fields: Fields, field: number) =>
  (fields.get(field) ?? []).filter((v): v is Uint8Array => v instanceof Uint8Array).map(fieldsOf);
const bytesOf = (fields: Fields, field: number) => {
  const value = fields.get(field)?.[0];
  return value instanceof Uint8Array ? value : new Uint8Array();
};
const text = (fields: Fields, field: number) => new TextDecoder().decode(bytesOf(fields, field));
const hex = (fields: Fields, field: number) => Buffer.from(bytesOf(fields, field)).toString('hex');

/** One span as an OTLP/HTTP export (protobuf or JSON) carried it. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** The exporting process's `service.name`. */
  service: string;
}

/** The spans of a protobuf OTLP trace export, with their resource's `service.name`. */
export function decodeTraceExport(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of messages(fieldsOf(body), 1)) {
    const resource = messages(resourceSpans, 1)[0];
    const serviceName = messages(resource ?? new Map(), 1).find(
      (attribute) => text(attribute, 1) === 'service.name',
    );
    const service = serviceName ? text(messages(serviceName, 2)[0] ?? new Map(), 1) : '';
    for (const scopeSpans of messages(resourceSpans, 2)) {
      for (const span of messages(scopeSpans, 2)) {
        spans.push({
          traceId: hex(span, 1),
          spanId: hex(span, 2),
          parentSpanId: hex(span, 4),
          name: text(span, 5),
          kind: Number(span.get(6)?.[0] ?? 0n),
          service,
        });
      }
    }
  }
  return spans;
}
