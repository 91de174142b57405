import { Injectable } from '@nestjs/common';
import { Api, ErrorCode, notFound, ReqRunError, Status, type RequestRecord } from '@reqrun/contracts';
import { continuedInput, type ResponseObject } from '@reqrun/translate';
import { RequestsService } from '../requests/requests.service.js';
import { responseView } from './response.view.js';

/** Responses by id (requests made through the Responses API), and the conversation state behind `previous_response_id`. */
@Injectable()
export class ResponsesService {
  constructor(private readonly requests: RequestsService) {}

  /** 404 for an unknown id, another tenant's, or a request made through another API (it names where to read that). */
  async get(tenant: string, id: string, param: string | null = null): Promise<RequestRecord> {
    const r = await this.requests.find(tenant, id);
    if (!r) throw notFound(id, 'response', param);
    if (r.api !== Api.Responses) {
      throw new ReqRunError(ErrorCode.NotFound, `Request ${id} was made through the ${r.api} API, not the Responses API; read it at /v1/requests/${id}.`, 404, param);
    }
    return r;
  }

  async cancel(tenant: string, id: string): Promise<RequestRecord> {
    await this.get(tenant, id);
    return this.requests.cancel(tenant, id);
  }

  async delete(tenant: string, id: string): Promise<{ id: string; object: 'response'; deleted: true }> {
    await this.get(tenant, id);
    await this.requests.delete(tenant, id);
    return { id, object: 'response', deleted: true };
  }

  /**
   * The body to store for a new turn: with `previous_response_id`, its input becomes the earlier response's whole
   * input, then that response's output, then the new input (instructions are not carried over, as in OpenAI's API).
   */
  async continueFrom(tenant: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const previousId = body.previous_response_id;
    if (typeof previousId !== 'string') return body;
    const previous = await this.get(tenant, previousId, 'previous_response_id');
    if (previous.status !== Status.Completed) {
      throw new ReqRunError(
        ErrorCode.PreviousResponseNotCompleted,
        `Response ${previousId} is ${responseView(previous).status}; only a completed response can be continued. Wait until it completes, or send the conversation in input.`,
        409, 'previous_response_id',
      );
    }
    return { ...body, input: continuedInput(previous.body.input, (previous.result as ResponseObject | undefined)?.output ?? [], body.input) };
  }
}
