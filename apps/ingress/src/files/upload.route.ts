import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

/**
 * Marks a route whose body is a multipart upload, not JSON: the JSON body checks (type, `http.ingress.body_limit`)
 * pass it by, and the upload checks (`installUploads`) take it instead.
 */
export const UploadRoute = () => RouteConfig({ upload: true });

export const isUploadRoute = (req: FastifyRequest): boolean => (req.routeOptions.config as { upload?: unknown } | undefined)?.upload === true;
