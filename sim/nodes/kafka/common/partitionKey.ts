/**
 * The "topic-partition" key partitions are looked up by, built once per partition: the fetch
 * path looks partitions up by key for every partition of every fetch (idle ones included), and a
 * fresh template string would be built and hashed each time. A pure function of its arguments,
 * so sharing the table across runs cannot change a run.
 */
const byTopic = new Map<string, string[]>();
const MAX_TOPICS = 100_000;

export function partitionKey(topic: string, index: number): string {
  let keys = byTopic.get(topic);
  if (keys === undefined) {
    if (byTopic.size >= MAX_TOPICS) byTopic.clear();
    byTopic.set(topic, (keys = []));
  }
  return (keys[index] ??= `${topic}-${index}`);
}
