/**
 * The query depth limit (GRAPHQL_MAX_DEPTH), as a validation rule that leaves
 * introspection to its own limit: graphql-js's standard introspection query
 * (`getIntrospectionQuery()`, what codegen, editors and GraphiQL send) is about
 * 13 levels deep, more than the default limit of 10, and a depth limit must not
 * stop tools in development (introspection is off in production anyway).
 * Ordinary fields count as Mercurius' `queryDepth` counted them; a `__schema` or
 * `__type` subtree counts against INTROSPECTION_DEPTH, the depth of the standard
 * query with every option on, instead.
 *
 * @example
 *   validationRules: [...rules, depthLimit(10)]
 */
import {
  type ASTNode,
  type FragmentDefinitionNode,
  GraphQLError,
  getIntrospectionQuery,
  Kind,
  parse,
  type ValidationRule,
} from 'graphql';

interface Depths {
  ordinary: number;
  introspection: number;
}

function depths(node: ASTNode, fragments: Map<string, FragmentDefinitionNode>, visiting: Set<string>): Depths {
  const out: Depths = { ordinary: 0, introspection: 0 };
  const selections = 'selectionSet' in node && node.selectionSet ? node.selectionSet.selections : [];
  for (const selection of selections) {
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment) continue;
      if (visiting.has(name)) return { ordinary: Infinity, introspection: Infinity }; // a cycle: invalid anyway
      visiting.add(name);
      const inner = depths(fragment, fragments, visiting);
      visiting.delete(name);
      out.ordinary = Math.max(out.ordinary, inner.ordinary);
      out.introspection = Math.max(out.introspection, inner.introspection);
      continue;
    }
    const inner = depths(selection, fragments, visiting);
    if (selection.kind === Kind.FIELD && (selection.name.value === '__schema' || selection.name.value === '__type')) {
      out.introspection = Math.max(out.introspection, 1 + Math.max(inner.ordinary, inner.introspection));
    } else {
      out.ordinary = Math.max(out.ordinary, 1 + inner.ordinary);
      out.introspection = Math.max(out.introspection, inner.introspection);
    }
  }
  return out;
}

function documentDepths(document: { definitions: readonly ASTNode[] }) {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return document.definitions
    .filter((d) => d.kind === Kind.OPERATION_DEFINITION)
    .map((operation) => ({ operation, ...depths(operation, fragments, new Set()) }));
}

const fullIntrospection = getIntrospectionQuery({
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
});
export const INTROSPECTION_DEPTH = Math.max(...documentDepths(parse(fullIntrospection)).map((d) => d.introspection));

export function depthLimit(max: number): ValidationRule {
  return (context) => ({
    Document(document) {
      for (const { operation, ordinary, introspection } of documentDepths(document)) {
        if (ordinary > max) {
          context.reportError(
            new GraphQLError(`Query is ${ordinary} levels deep; at most ${max} allowed`, { nodes: [operation] }),
          );
        }
        if (introspection > Math.max(max, INTROSPECTION_DEPTH)) {
          context.reportError(
            new GraphQLError(`Introspection is ${introspection} levels deep; at most ${INTROSPECTION_DEPTH} allowed`, {
              nodes: [operation],
            }),
          );
        }
      }
    },
  });
}
