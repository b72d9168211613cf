/**
 * What the OpenAPI document says a route takes: each request body is listed under the
 * media types the route's `config.accepts` names (JSON by default), the same list the
 * server enforces (content.ts), so the document never offers a type the server refuses.
 */
import type { SwaggerTransform } from '@fastify/swagger';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { JSON_TYPES } from './content.js';

export const openapiTransform: SwaggerTransform = (arg) => {
  const out = jsonSchemaTransform(arg);
  if (out.schema.body === undefined) return out;
  const accepts = arg.route.config?.accepts ?? JSON_TYPES;
  return { ...out, schema: { ...out.schema, consumes: [...accepts] } };
};
