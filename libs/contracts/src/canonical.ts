/** The provider-neutral request and result every API is translated to and from. */
export type Role = 'system' | 'user' | 'assistant' | 'tool';

export interface CanonicalMessage {
  role: Role;
  content: string;
  name?: string;
}

export interface CanonicalRequest {
  model: string;
  messages: CanonicalMessage[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string[];
  metadata?: Record<string, unknown>;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls';

export interface CanonicalResult {
  /** Model name the provider reports. */
  model: string;
  text: string;
  finish_reason: FinishReason;
  usage: { input_tokens: number; output_tokens: number };
}
