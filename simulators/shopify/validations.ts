import { type SimMetafields } from "./metafields";

/**
 * Checkout validations (the owners of cart and checkout validation Functions) for the simulator:
 * `validations` lists them, `validationCreate` turns a deployed Function on with its metafields
 * (refused with NOT_FOUND for a Function handle the app has not deployed). Kept apart from
 * resolvers.ts: `rootResolvers` can spread `validationRootResolvers(...)` into its root.
 */

export interface SimValidation {
  id: string;
  title: string;
  enabled: boolean;
  blockOnFailure: boolean;
  handle: string;
}

interface CreateInput {
  functionHandle?: string | null;
  functionId?: string | null;
  title?: string | null;
  enable?: boolean | null;
  blockOnFailure?: boolean | null;
  metafields?: Array<{ namespace?: string | null; key: string; type: string; value: string }> | null;
}

export class SimValidations {
  readonly all: SimValidation[] = [];
  private nextId = 1;

  /** `deployedFunctions`: handles of the cart and checkout validation Functions the app has deployed. */
  constructor(private readonly metafields: SimMetafields, private readonly deployedFunctions: string[]) {}

  isValidation(ownerId: string): boolean {
    return this.all.some((validation) => validation.id === ownerId);
  }

  create(input: CreateInput) {
    const handle = input.functionHandle ?? "";
    if (!this.deployedFunctions.includes(handle)) {
      return { validation: null, userErrors: [{ code: "NOT_FOUND", field: ["validation", "functionHandle"], message: "Extension not found." }] };
    }
    const validation: SimValidation = {
      id: `gid://shopify/Validation/${this.nextId++}`,
      title: input.title ?? handle,
      enabled: input.enable ?? false,
      blockOnFailure: input.blockOnFailure ?? false,
      handle,
    };
    // The validation and its metafields are saved together or not at all.
    this.all.push(validation);
    const saved = this.metafields.set((input.metafields ?? []).map((metafield) => ({ ownerId: validation.id, ...metafield })));
    if (saved.userErrors.length > 0) {
      this.all.splice(this.all.indexOf(validation), 1);
      return { validation: null, userErrors: saved.userErrors.map((error) => ({ ...error, field: ["validation", ...error.field] })) };
    }
    return { validation: { id: validation.id }, userErrors: [] };
  }
}

/** The `validations` and `validationCreate` root fields. */
export function validationRootResolvers(validations: SimValidations) {
  return {
    validations: () => ({
      nodes: validations.all.map((validation) => ({ ...validation, shopifyFunction: { handle: validation.handle, apiType: "cart_checkout_validation" } })),
    }),
    validationCreate: (args: { validation: CreateInput }) => validations.create(args.validation),
  };
}
