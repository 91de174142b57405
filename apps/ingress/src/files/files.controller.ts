import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Tenant } from '../security/api-keys.js';
import { CallerTenant } from '../security/tenant.hook.js';
import { FileUploads } from './file.uploads.js';
import { readFileListQuery } from './file.query.js';
import { FilesService } from './files.service.js';
import { streamedFile } from './streamed-file.js';
import { UploadRoute } from './upload.route.js';

/** OpenAI's Files API, for the Batch API's input: upload (multipart), read, list, download, delete. */
@Controller('v1/files')
export class FilesController {
  constructor(private readonly files: FilesService, private readonly uploads: FileUploads) {}

  @Post()
  @HttpCode(200)
  @UploadRoute()
  async upload(@Req() req: FastifyRequest, @CallerTenant() tenant: Tenant) {
    return this.files.view(await this.uploads.receive(req, tenant.name));
  }

  /** `?purpose=&limit=&after=&order=`: all the caller's files (up to 10,000), newest first, by default. */
  @Get()
  list(@Query() query: Record<string, unknown>, @CallerTenant() tenant: Tenant) {
    return this.files.list(tenant.name, readFileListQuery(query));
  }

  @Get(':id')
  get(@Param('id') id: string, @CallerTenant() tenant: Tenant) {
    return this.files.get(tenant.name, id);
  }

  @Get(':id/content')
  async content(@Param('id') id: string, @CallerTenant() tenant: Tenant) {
    const { bytes, data } = await this.files.content(tenant.name, id);
    return streamedFile(data, 'application/octet-stream', bytes);
  }

  @Delete(':id')
  @HttpCode(200)
  delete(@Param('id') id: string, @CallerTenant() tenant: Tenant) {
    return this.files.delete(tenant.name, id);
  }
}
