/**
 * Bytes of records as Kafka lays them out in a produce request, a fetch response and a segment
 * file, per message format (the `magic` byte):
 * - v1 (0.10.0 - 0.10.2; LegacyRecord.java, Records.java): a message set is a bare sequence of
 *   messages, each with its own 12-byte log overhead (offset 8, size 4) and 22-byte header
 *   (crc 4, magic 1, attributes 1, timestamp 8, key length 4, value length 4). Uncompressed, the
 *   producer wraps nothing: there is no batch header.
 * - v2 (0.11 on, KIP-98; DefaultRecordBatch.java, DefaultRecord.java): a 61-byte batch header,
 *   then records whose lengths and deltas are zig-zag varints, so a record's size depends on its
 *   key and value sizes and on its offset and timestamp deltas from the batch's first record.
 *
 * We assume, unrealistically, no compression and no record headers; and a broker that keeps the
 * format the producer wrote (log.message.format.version follows the release, so no conversion).
 */

export type MessageFormat = 1 | 2;

/** Records.LOG_OVERHEAD: offset (int64) + size (int32) before every v0/v1 message. */
export const LOG_OVERHEAD = 8 + 4;
/** LegacyRecord.RECORD_OVERHEAD_V1: crc 4 + magic 1 + attributes 1 + timestamp 8 + key length 4 + value length 4. */
export const RECORD_OVERHEAD_V1 = 4 + 1 + 1 + 8 + 4 + 4;
/** DefaultRecordBatch.RECORD_BATCH_OVERHEAD: base offset through the records count. */
export const RECORD_BATCH_OVERHEAD = 61;

/** ByteUtils.sizeOfUnsignedVarint: seven bits a byte. */
function sizeOfUnsignedVarint(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** ByteUtils.sizeOfVarint / sizeOfVarlong: zig-zag, then an unsigned varint (exact for |v| < 2^52). */
export function sizeOfVarint(value: number): number {
  const zigzag = value >= 0 ? 2 * value : -2 * value - 1;
  if (zigzag < 0x10000000) return sizeOfUnsignedVarint(zigzag);
  let size = 1;
  for (let v = Math.floor(zigzag / 128); v > 0; v = Math.floor(v / 128)) size++;
  return size;
}

/** Bytes of a batch before its first record: the v2 header, nothing for an uncompressed v1 message set. */
export function batchOverheadBytes(format: MessageFormat): number {
  return format === 2 ? RECORD_BATCH_OVERHEAD : 0;
}

export interface RecordShape {
  /** Key length in bytes; -1 for a null key (a keyless record). */
  keyBytes: number;
  valueBytes: number;
  /** v2: the record's offset minus the batch's base offset. */
  offsetDelta: number;
  /** v2: the record's timestamp minus the batch's first, in ms. */
  timestampDeltaMs: number;
}

/** Bytes one record takes in a batch (or message set) of this format. */
export function recordBytes(format: MessageFormat, r: RecordShape): number {
  return recordSize(format, r.keyBytes, r.valueBytes, r.offsetDelta, r.timestampDeltaMs);
}

/** recordBytes without a shape object, for the producer's per-record and per-wake sizing. */
export function recordSize(format: MessageFormat, keyBytes: number, valueBytes: number, offsetDelta: number, timestampDeltaMs: number): number {
  const key = keyBytes < 0 ? 0 : keyBytes;
  if (format === 1) return LOG_OVERHEAD + RECORD_OVERHEAD_V1 + key + valueBytes;
  // DefaultRecord.sizeOfBodyInBytes: attributes (1 byte), offset delta, timestamp delta, key
  // length (varint -1 for null) and key, value length and value, header count (0).
  const body =
    1 +
    sizeOfVarint(offsetDelta) +
    sizeOfVarint(timestampDeltaMs) +
    (keyBytes < 0 ? sizeOfVarint(-1) : sizeOfVarint(keyBytes) + keyBytes) +
    sizeOfVarint(valueBytes) +
    valueBytes +
    sizeOfVarint(0);
  // DefaultRecord.sizeInBytes: the body's length goes first, as a varint.
  return sizeOfVarint(body) + body;
}

/** Bytes of a batch of `count` records of one shape, all with the batch's first timestamp. */
export function batchBytes(format: MessageFormat, count: number, keyBytes: number, valueBytes: number): number {
  let bytes = batchOverheadBytes(format);
  for (let i = 0; i < count; i++) bytes += recordBytes(format, { keyBytes, valueBytes, offsetDelta: i, timestampDeltaMs: 0 });
  return bytes;
}

/** Bytes of a key as the producer serializes it (StringSerializer: UTF-8). */
export function keyBytesOf(key: string): number {
  let bytes = 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
