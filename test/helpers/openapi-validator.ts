import { readFileSync } from 'node:fs';

import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as typeof addFormatsModule;

type Json = Record<string, unknown>;

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  pathParams: string[];
  operation: Json;
  pathItem: Json;
}

export interface Violation {
  where: string;
  problems: string[];
}

/**
 * Validates requests and responses against an OpenAPI document (3.0 or 3.1): the route must be
 * in the spec, query and path parameters must be declared and well-typed, JSON bodies must match
 * their schemas. Used by the Airflow stub so the client is checked against Airflow's own spec.
 */
export class OpenApiValidator {
  private readonly operations: Operation[] = [];
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(
    file: string,
    private readonly prefix: string,
  ) {
    const doc = dropUntypedNullable(parse(readFileSync(file, 'utf8'))) as Json;
    const openapi = String(doc.openapi);
    this.ajv = openapi.startsWith('3.1') ? new Ajv2020({ strict: false, allErrors: true }) : new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    // Airflow's v2 document spells one date-time format "datetime".
    this.ajv.addFormat('datetime', { type: 'string', validate: (value: string) => !Number.isNaN(Date.parse(value)) });
    this.ajv.addSchema({ components: doc.components }, 'spec');
    this.doc = doc;
    for (const [template, pathItem] of Object.entries(doc.paths as Record<string, Json>)) {
      const pathParams: string[] = [];
      const pattern = new RegExp(
        `^${(prefix + template).replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
          pathParams.push(name);
          return '([^/]+)';
        })}$`,
      );
      for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
        if (pathItem[method]) this.operations.push({ method, template, pattern, pathParams, operation: pathItem[method] as Json, pathItem });
      }
    }
  }

  private readonly doc: Json;

  /** Routes whose literal segments match win over templated ones (/dags/~ vs /dags/{dag_id}). */
  match(method: string, path: string): { op: Operation; params: Record<string, string> } | null {
    const candidates = this.operations
      .filter((op) => op.method === method.toLowerCase())
      .map((op) => ({ op, found: op.pattern.exec(path) }))
      .filter((candidate) => candidate.found)
      .sort((a, b) => a.op.pathParams.length - b.op.pathParams.length);
    const best = candidates[0];
    if (!best?.found) return null;
    const params = Object.fromEntries(best.op.pathParams.map((name, index) => [name, decodeURIComponent(best.found![index + 1]!)]));
    return { op: best.op, params };
  }

  private resolve<T = Json>(node: unknown): T {
    let current = node as Json;
    while (current && typeof current.$ref === 'string') {
      const path = (current.$ref as string).replace(/^#\//, '').split('/');
      current = path.reduce<Json>((value, key) => value[key] as Json, this.doc);
    }
    return current as T;
  }

  private validatorFor(key: string, schema: unknown): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      // Point local refs at the registered components so fragments compile on their own.
      const rewritten = JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"spec#/components/'));
      validate = this.ajv.compile(rewritten);
      this.compiled.set(key, validate);
    }
    return validate;
  }

  private check(key: string, schema: unknown, value: unknown, label: string): string[] {
    const validate = this.validatorFor(key, schema);
    if (validate(value)) return [];
    return (validate.errors ?? []).map((error) => `${label}${error.instancePath} ${error.message ?? 'invalid'}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`);
  }

  validateRequest(request: { method: string; path: string; query: URLSearchParams; body: unknown; hasBody: boolean }): {
    problems: string[];
    params: Record<string, string>;
    operationId: string | null;
  } {
    const matched = this.match(request.method, request.path);
    if (!matched) return { problems: [`${request.method} ${request.path} is not an operation of the spec`], params: {}, operationId: null };
    const { op, params } = matched;
    const problems: string[] = [];
    const declared = [...((op.pathItem.parameters as unknown[]) ?? []), ...((op.operation.parameters as unknown[]) ?? [])].map((parameter) => this.resolve<Json>(parameter));
    for (const parameter of declared) {
      const name = String(parameter.name);
      const schema = parameter.schema as Json | undefined;
      if (parameter.in === 'path') {
        problems.push(...this.check(`${op.template}:path:${name}`, schema ?? {}, coerce(params[name], schema), `path ${name}`));
      } else if (parameter.in === 'query') {
        const values = request.query.getAll(name);
        if (values.length === 0) {
          if (parameter.required) problems.push(`query ${name} is required`);
          continue;
        }
        const resolved = this.resolve<Json>(schema ?? {});
        const value = resolved.type === 'array' ? values.map((item) => coerce(item, resolved.items as Json)) : coerce(values[0], resolved);
        problems.push(...this.check(`${op.template}:${op.method}:query:${name}`, schema ?? {}, value, `query ${name}`));
      }
    }
    const known = new Set(declared.filter((parameter) => parameter.in === 'query').map((parameter) => String(parameter.name)));
    for (const name of new Set(request.query.keys())) if (!known.has(name)) problems.push(`query ${name} is not a parameter of ${op.operation.operationId}`);
    const requestBody = op.operation.requestBody ? this.resolve<Json>(op.operation.requestBody) : null;
    if (requestBody) {
      const schema = ((requestBody.content as Json)?.['application/json'] as Json | undefined)?.schema;
      if (!request.hasBody) {
        if (requestBody.required) problems.push('a JSON request body is required');
      } else if (schema) {
        problems.push(...this.check(`${op.template}:${op.method}:body`, schema, request.body, 'body'));
      }
    } else if (request.hasBody) {
      problems.push(`${op.operation.operationId} takes no request body`);
    }
    return { problems, params, operationId: String(op.operation.operationId) };
  }

  validateResponse(method: string, path: string, status: number, contentType: string, body: unknown): string[] {
    const matched = this.match(method, path);
    if (!matched) return [`${method} ${path} is not an operation of the spec`];
    const responses = matched.op.operation.responses as Record<string, unknown>;
    const declared = responses[String(status)] ?? responses.default;
    if (!declared) return [`status ${status} is not a declared response of ${matched.op.operation.operationId}`];
    const response = this.resolve<Json>(declared);
    const content = response.content as Record<string, Json> | undefined;
    if (!content) return body === undefined || body === '' ? [] : [`status ${status} of ${matched.op.operation.operationId} has no body`];
    const media = content[contentType.split(';')[0]!.trim()];
    if (!media) return [`content type ${contentType} is not declared for status ${status} of ${matched.op.operation.operationId}`];
    return media.schema ? this.check(`${matched.op.template}:${method}:${status}:${contentType}`, media.schema, body, `response ${status}`) : [];
  }
}

function coerce(value: string | undefined, schema: Json | undefined): unknown {
  if (value === undefined) return value;
  const types = new Set<string>();
  const collect = (node: Json | undefined): void => {
    if (!node) return;
    if (typeof node.type === 'string') types.add(node.type);
    if (Array.isArray(node.type)) node.type.forEach((type) => types.add(String(type)));
    for (const key of ['anyOf', 'oneOf']) if (Array.isArray(node[key])) (node[key] as Json[]).forEach(collect);
  };
  collect(schema);
  if ((types.has('integer') || types.has('number')) && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (types.has('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** OpenAPI 3.0 allows `nullable` beside `allOf`/`$ref` without `type`; Ajv does not. */
function dropUntypedNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(dropUntypedNullable);
  if (!node || typeof node !== 'object') return node;
  const entries = Object.entries(node as Json).filter(([key]) => !(key === 'nullable' && !('type' in (node as Json))));
  return Object.fromEntries(entries.map(([key, value]) => [key, dropUntypedNullable(value)]));
}
