import { GraphQLError } from "graphql";

/**
 * Shopify's `metafieldsSet`, as the Admin API documents it, for the simulator: up to 25
 * metafields per call (more is a top-level MAX_INPUT_SIZE_EXCEEDED error), created or replaced
 * by (owner, namespace, key), all saved or none, `$app:` namespaces resolved to the calling app's
 * reserved `app--{id}--` namespace, `type` required for a new metafield and fixed afterwards,
 * `json` values checked. Kept apart from resolvers.ts: `rootResolvers` can spread
 * `metafieldRootResolvers(store)` into its root to serve it over HTTP.
 */

export const METAFIELDS_SET_MAX_INPUT = 25;

export interface SimMetafield {
  id: string;
  ownerId: string;
  namespace: string;
  key: string;
  type: string;
  value: string;
  createdAt: string;
  updatedAt: string;
}

export interface SimMetafieldsOptions {
  /** The calling app's id: `$app:lockstep` is stored as `app--{appId}--lockstep`. */
  appId: string;
  /** Whether an owner GID names something that exists in the shop. */
  ownerExists: (ownerId: string) => boolean;
  now: () => number;
}

interface SetInput {
  ownerId: string;
  namespace?: string | null;
  key: string;
  type?: string | null;
  value: string;
  compareDigest?: string | null;
}

interface UserError {
  field: string[];
  message: string;
  code: string;
  elementIndex: number;
}

const SUPPORTED_TYPES = new Set(["json", "single_line_text_field", "multi_line_text_field", "number_integer", "number_decimal", "boolean", "date_time"]);

let nextId = 1;

export class SimMetafields {
  private readonly byKey = new Map<string, SimMetafield>();
  /** `metafieldsSet` calls answered (refused ones too). */
  calls = 0;

  constructor(private readonly options: SimMetafieldsOptions) {}

  resolveNamespace(namespace: string | null | undefined): string {
    const name = namespace ?? "$app";
    if (name === "$app") return `app--${this.options.appId}`;
    return name.startsWith("$app:") ? `app--${this.options.appId}--${name.slice("$app:".length)}` : name;
  }

  get(ownerId: string, namespace: string, key: string): SimMetafield | undefined {
    return this.byKey.get(storeKey(ownerId, this.resolveNamespace(namespace), key));
  }

  all(): SimMetafield[] {
    return [...this.byKey.values()];
  }

  set(inputs: SetInput[]): { metafields: SimMetafield[]; userErrors: UserError[] } {
    this.calls++;
    if (inputs.length > METAFIELDS_SET_MAX_INPUT) {
      throw new GraphQLError(`The input array size of ${inputs.length} is greater than the maximum allowed of ${METAFIELDS_SET_MAX_INPUT}.`, {
        extensions: { code: "MAX_INPUT_SIZE_EXCEEDED" },
      });
    }
    const userErrors: UserError[] = [];
    const error = (index: number, field: string, code: string, message: string) =>
      userErrors.push({ field: ["metafields", String(index), field], message, code, elementIndex: index });
    const planned = inputs.map((input, index) => {
      const namespace = this.resolveNamespace(input.namespace);
      const existing = this.byKey.get(storeKey(input.ownerId, namespace, input.key));
      const type = input.type ?? existing?.type;
      if (!this.options.ownerExists(input.ownerId)) error(index, "ownerId", "INVALID", "Owner does not exist.");
      if (namespace.length < 3) error(index, "namespace", "TOO_SHORT", "Namespace is too short (minimum is 3 characters).");
      if (input.key.length < 2) error(index, "key", "TOO_SHORT", "Key is too short (minimum is 2 characters).");
      if (!type) error(index, "type", "BLANK", "Type can't be blank.");
      else if (!SUPPORTED_TYPES.has(type)) error(index, "type", "INCLUSION", `Type must be one of the supported types.`);
      else if (existing && existing.type !== type) error(index, "type", "INVALID_TYPE", `Type must be ${existing.type}.`);
      else if (type === "json" && !isJson(input.value)) error(index, "value", "INVALID_VALUE", "Value is invalid JSON.");
      return { input, namespace, existing, type: type ?? "" };
    });
    // All or nothing, as Shopify saves them.
    if (userErrors.length > 0) return { metafields: [], userErrors };
    const at = new Date(this.options.now()).toISOString();
    const saved = planned.map(({ input, namespace, existing, type }) => {
      const metafield: SimMetafield = {
        id: existing?.id ?? `gid://shopify/Metafield/${nextId++}`,
        ownerId: input.ownerId,
        namespace,
        key: input.key,
        type,
        value: input.value,
        createdAt: existing?.createdAt ?? at,
        updatedAt: at,
      };
      this.byKey.set(storeKey(input.ownerId, namespace, input.key), metafield);
      return metafield;
    });
    return { metafields: saved, userErrors: [] };
  }
}

/** The `metafieldsSet` root field, resolved against `store` (owners come back as their GID's type). */
export function metafieldRootResolvers(store: SimMetafields) {
  return {
    metafieldsSet: (args: { metafields: SetInput[] }) => {
      const result = store.set(args.metafields);
      return {
        metafields: result.metafields.map((metafield) => ({
          ...metafield,
          owner: { __typename: ownerType(metafield.ownerId), id: metafield.ownerId },
        })),
        userErrors: result.userErrors,
      };
    },
  };
}

function ownerType(ownerId: string): string {
  return /^gid:\/\/shopify\/(\w+)\//.exec(ownerId)?.[1] ?? "Shop";
}

function storeKey(ownerId: string, namespace: string, key: string): string {
  return `${ownerId}\u0000${namespace}\u0000${key}`;
}

function isJson(value: string): boolean {
  try {
    JSON.parse(value);
    return true;
  } catch {
    return false;
  }
}
