/** The provider-neutral request and result every API is translated to and from. */
export type Role = 'system' | 'user' | 'assistant' | 'tool';

/**
 * An image in a user turn: a URL the provider fetches, or the bytes inline as a data URL
 * (`data:image/png;base64,...`). `detail` is OpenAI's resolution hint (Anthropic has none).
 */
export interface CanonicalImage {
  type: 'image';
  url: string;
  detail?: 'auto' | 'low' | 'high';
}

export type CanonicalPart = { type: 'text'; text: string } | CanonicalImage;

export interface CanonicalMessage {
  role: Role;
  /** The turn's text (with images: its text parts joined). */
  content: string;
  /** Set only when the turn has images: its parts in order, text and images. */
  parts?: CanonicalPart[];
  name?: string;
  /** An assistant turn's calls of the request's tools. */
  tool_calls?: CanonicalToolCall[];
  /** A `tool` turn: the call whose result `content` is. */
  tool_call_id?: string;
  /** A `tool` turn: the tool failed, and `content` says how (Anthropic's `is_error`; OpenAI has no such field). */
  is_error?: boolean;
  /** An assistant turn's thinking blocks, as Anthropic gave them (Anthropic wants them back unchanged). */
  thinking?: CanonicalThinking[];
}

/**
 * A block of an Anthropic model's extended thinking: its reasoning and the signature that vouches for it, or
 * reasoning Anthropic encrypted (`redacted_thinking`). Opaque to ReqRun: kept, returned and sent back as they came.
 */
export type CanonicalThinking = { type: 'thinking'; thinking: string; signature: string } | { type: 'redacted_thinking'; data: string };

/** A function the model may call: `parameters` is a JSON Schema for its arguments. */
export interface CanonicalTool {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  strict?: boolean;
}

/** A call the model made: `arguments` is the JSON text of the arguments, as the model wrote it. */
export interface CanonicalToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** Whether the model may (`auto`), must not (`none`), or must (`required`, or this one by name) call a tool. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/**
 * An answer format other than free text: any JSON object (`json_object`, OpenAI's JSON mode), or JSON that follows
 * a schema (`json_schema`: `name` as OpenAI requires it, `strict` to ask the provider to enforce the schema).
 */
export type OutputFormat =
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema?: Record<string, unknown>; strict?: boolean; description?: string };

/**
 * OpenAI's sampling and reasoning options that ReqRun does not act on itself: sent to OpenAI-compatible providers
 * as they are (chat's names), left out for Anthropic and the mock, which have no equivalent.
 */
export interface OpenAIOptions {
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  logit_bias?: Record<string, number>;
  reasoning_effort?: string;
  verbosity?: string;
  user?: string;
  service_tier?: string;
  prompt_cache_key?: string;
  safety_identifier?: string;
}

/** How much an Anthropic model thinks before it answers (`display`: whether the thinking text is shown or omitted). */
export type ThinkingConfig =
  | { type: 'enabled'; budget_tokens: number; display?: 'summarized' | 'omitted' }
  | { type: 'adaptive'; display?: 'summarized' | 'omitted' }
  | { type: 'disabled' };

/**
 * Anthropic's sampling and thinking options that ReqRun does not act on itself: sent to Anthropic providers as they
 * are (Messages' names), left out for OpenAI-compatible providers and the mock, which have no equivalent (the mock
 * fakes a thinking block; the ingress refuses thinking for a model an OpenAI-compatible provider may answer).
 */
export interface AnthropicOptions {
  top_k?: number;
  thinking?: ThinkingConfig;
}

export interface CanonicalRequest {
  model: string;
  /**
   * The top-level system prompt (Anthropic `system`, Responses `instructions`). Chat keeps its system turns as
   * `system` messages in `messages`; a translation to an API with a single system prompt folds the leading ones in.
   */
  system?: string;
  messages: CanonicalMessage[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string[];
  metadata?: Record<string, unknown>;
  /** Absent: free text. */
  format?: OutputFormat;
  tools?: CanonicalTool[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  openai?: OpenAIOptions;
  anthropic?: AnthropicOptions;
}

/**
 * Why the answer ended, in OpenAI chat's words. Anthropic's map onto them: end_turn and stop_sequence = stop,
 * max_tokens = length, tool_use = tool_calls, refusal = content_filter.
 */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

export interface CanonicalResult {
  /** Model name the provider reports. */
  model: string;
  text: string;
  /** The tools the model called (finish_reason 'tool_calls'). */
  tool_calls?: CanonicalToolCall[];
  /** An Anthropic model's thinking blocks, in order (they come before its text and calls). */
  thinking?: CanonicalThinking[];
  finish_reason: FinishReason;
  /** The stop sequence that ended the answer (finish_reason 'stop'), when the provider says which one. */
  stop_sequence?: string;
  /** Every input token the provider counted (for Anthropic: uncached + cache reads + cache writes). */
  usage: { input_tokens: number; output_tokens: number };
}
