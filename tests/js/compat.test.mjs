// The JS SDK (@langchain/langgraph-sdk) against a live server: node --test compat.test.mjs
// AGENTSERVER_URL names the server (tests/test_js_sdk.py starts one and sets it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Client } from "@langchain/langgraph-sdk";

const apiUrl = process.env.AGENTSERVER_URL ?? "http://127.0.0.1:8000";
const client = new Client({ apiUrl });

async function collect(iterable) {
  const parts = [];
  for await (const part of iterable) parts.push(part);
  return parts;
}

test("create a background run, then join it: from its first event", async () => {
  for (let i = 0; i < 5; i++) {
    const thread = await client.threads.create();
    const run = await client.runs.create(thread.thread_id, "steps", { input: {}, streamMode: ["values", "custom"] });
    const parts = await collect(client.runs.joinStream(thread.thread_id, run.run_id));
    assert.equal(parts[0].event, "metadata");
    assert.equal(parts[0].data.run_id, run.run_id);
    assert.equal(parts.filter((p) => p.event === "custom").length, 6);
    assert.deepEqual(parts.filter((p) => p.event === "values").at(-1).data, { counter: 3, log: ["one", "two", "three"] });
  }
});

test("events mode: each root-graph output once", async () => {
  const thread = await client.threads.create();
  const parts = await collect(client.runs.stream(thread.thread_id, "steps", { input: {}, streamMode: ["events", "values"] }));
  const names = parts.map((p) => p.event);
  assert.equal(names.filter((n) => n === "values").length, 3);
  const events = parts.filter((p) => p.event === "events").map((p) => p.data);
  assert.equal(events.length, 11);
  const root = parts[0].data.run_id;
  assert.equal(events.filter((e) => e.event === "on_chain_stream" && e.run_id === root).length, 0);
});

test("protocol v2: threads.stream() runs a graph on a new thread", async () => {
  const thread = client.threads.stream(randomUUID(), { assistantId: "steps" });
  try {
    await thread.run.start({ input: {} });
    const output = await thread.output;
    assert.deepEqual(output, { counter: 3, log: ["one", "two", "three"] });
  } finally {
    await thread.close();
  }
});

test("protocol v2: streamed chat messages", async () => {
  const thread = client.threads.stream(randomUUID(), { assistantId: "chat" });
  try {
    const texts = [];
    const reading = (async () => {
      for await (const message of thread.messages) {
        texts.push(await message.text);
        break;
      }
    })();
    await thread.run.start({ input: { messages: [{ type: "human", content: "hi" }] } });
    await reading;
    await thread.output;
    assert.deepEqual(texts, ["Hello there! You said: hi"]);
  } finally {
    await thread.close();
  }
});
