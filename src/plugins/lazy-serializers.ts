// Response serializers compiled at a route's first answer with that status, not when the app starts.
//
// fastify compiles a fast-json-stringify function (generated source, its own Ajv, the code) for every status of every
// route's response schema when the route is registered: ~30 KB per status, ~11 MB of live heap for the management API,
// most of which a relay never answers. Compiling on first use keeps the same serializer for the routes that are called
// and nothing for the rest; after the first call the cost is one closure call.
import SerializerSelector from '@fastify/fast-json-stringify-compiler';

type Factory = ReturnType<typeof SerializerSelector>;

/** For `Fastify({ schemaController: { compilersFactory: { buildSerializer } } })`: fastify's own compiler, deferred. */
export const buildLazySerializer: Factory = (externalSchemas, options) => {
  const compile = SerializerSelector()(externalSchemas, options);
  return (routeDef) => {
    let serialize: ((doc: unknown) => string) | undefined;
    return (doc) => (serialize ??= compile(routeDef))(doc);
  };
};
