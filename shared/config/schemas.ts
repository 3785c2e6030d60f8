/**
 * JSON schemas of the configuration. They are compiled ahead of time into
 * `validators.generated.js` by `npm run generate` (ajv standalone code), so a cold start compiles
 * nothing; a test keeps the generated file in step with these schemas. Each `description` is what
 * a person reads when a setting is refused.
 */

/** The TVM_* environment variables. Every value is a string, as the environment gives it. */
export const environmentSchema = {
  $id: 'environment',
  type: 'object',
  required: ['TVM_ROLE_ARN', 'TVM_BUCKET', 'TVM_REGION', 'TVM_JWT_ISSUER', 'TVM_JWT_AUDIENCE'],
  properties: {
    TVM_ROLE_ARN: {
      type: 'string',
      pattern: '^acs:ram::[0-9]{1,32}:role/[A-Za-z0-9._-]{1,64}$',
      description: 'the ARN of the RAM role to assume, such as acs:ram::1234567890123456:role/oss-tvm-app',
    },
    TVM_BUCKET: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$',
      description: 'an OSS bucket name: 3 to 63 lowercase letters, digits and hyphens',
    },
    TVM_REGION: {
      type: 'string',
      pattern: '^[a-z]{2,4}(-[a-z0-9]{1,16}){1,3}$',
      description: 'a region ID such as cn-hangzhou',
    },
    TVM_STS_ENDPOINT: {
      type: 'string',
      pattern: '^(https://[a-z0-9.-]{1,253}(:[0-9]{1,5})?|http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]{1,5})?)/?$',
      description: 'an https:// STS endpoint URL (or an http:// loopback URL for the sandbox)',
    },
    TVM_OSS_ENDPOINT: {
      type: 'string',
      pattern: '^(https://[a-z0-9.-]{1,253}(:[0-9]{1,5})?|http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]{1,5})?)/?$',
      description: 'the OSS endpoint apps should use, such as https://oss-cn-hangzhou.aliyuncs.com (or an http:// loopback URL for the sandbox)',
    },
    TVM_JWT_ISSUER: {
      type: 'string',
      minLength: 1,
      maxLength: 512,
      description: "the exact issuer ('iss') your identity provider puts in tokens",
    },
    TVM_JWT_AUDIENCE: {
      type: 'string',
      pattern: '^[^,\\s]+(,[^,\\s]+)*$',
      maxLength: 1024,
      description: "the audience ('aud') tokens must carry; several may be given, separated by commas",
    },
    TVM_JWKS_URL: {
      type: 'string',
      pattern: '^(https://[^\\s]+|http://(127\\.0\\.0\\.1|localhost|\\[::1\\])(:[0-9]{1,5})?/[^\\s]*)$',
      maxLength: 2048,
      description: "the https:// URL of your identity provider's JSON Web Key Set",
    },
    TVM_JWT_PUBLIC_KEY: {
      type: 'string',
      minLength: 1,
      maxLength: 16384,
      description: 'a public key as PEM (SPKI) or as a JWK JSON object',
    },
    TVM_JWT_SECRET: {
      type: 'string',
      // The 32-byte minimum is checked on the UTF-8 bytes in load-config.ts; a length here would count
      // characters and refuse a 32-byte secret of fewer, multi-byte characters.
      minLength: 1,
      maxLength: 4096,
      description: 'an HS256 shared secret of at least 32 bytes',
    },
    TVM_JWT_ALGORITHMS: {
      type: 'string',
      pattern: '^(RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384|ES512|EdDSA|HS256|HS384|HS512)(,(RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384|ES512|EdDSA|HS256|HS384|HS512))*$',
      description: 'a comma-separated list of JWS algorithms, such as RS256 or ES256,RS256 (never "none")',
    },
    TVM_IDENTITY_CLAIM: {
      type: 'string',
      pattern: '^[A-Za-z_][A-Za-z0-9_:.-]{0,63}$',
      description: "the name of the verified claim that identifies the user, such as sub",
    },
    TVM_SCOPES: {
      type: 'string',
      minLength: 2,
      maxLength: 8192,
      description: 'a JSON object mapping scope names to {"prefix": "...", "actions": [...]}',
    },
    TVM_DEFAULT_SCOPE: {
      type: 'string',
      pattern: '^[a-z][a-z0-9_-]{0,31}$',
      description: 'the name of a configured scope',
    },
    TVM_CORS_ALLOWED_ORIGINS: {
      type: 'string',
      pattern: '^(\\*|https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(,https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?)*)$',
      description: 'the web origins allowed to call the functions from a browser, comma-separated, such as https://app.example.com (or * for any)',
    },
    TVM_SIGNING_CREDENTIALS: {
      type: 'string',
      enum: ['scoped', 'function'],
      description: 'scoped (credentials from AssumeRole with the caller\'s session policy) or function (the function role\'s own credentials)',
    },
    TVM_SIGN_MAX_SKEW_SECONDS: {
      type: 'string',
      pattern: '^[0-9]{1,3}$',
      description: 'a whole number of seconds from 30 to 900',
    },
    TVM_SIGN_MAX_URL_TTL_SECONDS: {
      type: 'string',
      pattern: '^[0-9]{1,5}$',
      description: 'a whole number of seconds from 60 to 43200, and at most half of TVM_DURATION_SECONDS',
    },
    TVM_SIGN_POST_POLICY_TTL_SECONDS: {
      type: 'string',
      pattern: '^[0-9]{1,5}$',
      description: 'a whole number of seconds from 60 to 43200',
    },
    TVM_SIGN_EXTRA_HEADERS: {
      type: 'string',
      pattern: '^(x-oss-forbid-overwrite|x-oss-storage-class|x-oss-server-side-encryption)(,(x-oss-forbid-overwrite|x-oss-storage-class|x-oss-server-side-encryption))*$',
      description: 'a comma-separated list of x-oss headers to accept besides the default ones, from x-oss-forbid-overwrite, x-oss-storage-class, x-oss-server-side-encryption',
    },
    TVM_SIGNING_SESSION_KEY: {
      type: 'string',
      pattern: '^[A-Za-z0-9+/_-]{43}=?$',
      description: 'a key of 32 random bytes in base64, such as the output of openssl rand -base64 32',
    },
    TVM_SHARED_CACHE_URL: {
      type: 'string',
      pattern: '^rediss?://[^\\s]+$',
      maxLength: 2048,
      description: 'the redis:// or rediss:// URL of the shared credential cache, such as rediss://:<password>@<host>:6380/0',
    },
    TVM_SHARED_CACHE_KEY: {
      type: 'string',
      pattern: '^[A-Za-z0-9+/_-]{43}=?$',
      description: 'a key of 32 random bytes in base64, such as the output of openssl rand -base64 32',
    },
    TVM_DURATION_SECONDS: {
      type: 'string',
      pattern: '^[0-9]{3,5}$',
      description: 'a whole number of seconds from 900 to 43200',
    },
    TVM_STS_CALLS_PER_HOUR: {
      type: 'string',
      pattern: '^[0-9]{1,4}$',
      description: 'a whole number of AssumeRole calls from 1 to 3600',
    },
  },
} as const;

/** The parsed value of TVM_SCOPES. */
export const scopesSchema = {
  $id: 'scopes',
  type: 'object',
  minProperties: 1,
  maxProperties: 32,
  propertyNames: { pattern: '^[a-z][a-z0-9_-]{0,31}$' },
  additionalProperties: {
    type: 'object',
    required: ['prefix', 'actions'],
    additionalProperties: false,
    properties: {
      prefix: { type: 'string', minLength: 2, maxLength: 256 },
      actions: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { type: 'string', enum: ['read', 'write', 'delete', 'list'] },
      },
      overlaps: {
        type: 'array',
        maxItems: 31,
        uniqueItems: true,
        items: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,31}$' },
      },
      upload: {
        type: 'object',
        additionalProperties: false,
        properties: {
          maxBytes: { type: 'integer', minimum: 1, maximum: 5368709120 },
          contentTypes: {
            type: 'array',
            minItems: 1,
            maxItems: 32,
            uniqueItems: true,
            items: { type: 'string', pattern: '^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/([a-z0-9][a-z0-9!#$&^_.+-]{0,126}|\\*)$' },
          },
          overwrite: { type: 'boolean' },
        },
      },
    },
  },
  description:
    'scope names are 1 to 32 lowercase letters, digits, _ and -; each scope is {"prefix": "<template ending in />", "actions": ["read"|"write"|"delete"|"list", ...]}, optionally "overlaps": ["<scope name>", ...] and "upload": {"maxBytes": <1 to 5368709120>, "contentTypes": ["<lowercase type/subtype or type/*>", ...], "overwrite": <true|false>}, and nothing else',
} as const;
