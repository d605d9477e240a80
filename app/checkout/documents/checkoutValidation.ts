import { shopifyOperation } from "../../platforms/shopify/operation";

export interface ValidationNode {
  id: string;
  enabled: boolean;
  shopifyFunction: { handle: string };
}

/** The shop's time zone and its checkout validations (to find the one running Lockstep's Function). */
export const checkoutValidations = shopifyOperation<
  { shop: { ianaTimezone: string }; validations: { nodes: ValidationNode[] } },
  { first: number }
>(/* GraphQL */ `
  query LockstepCheckoutValidations($first: Int!) {
    shop {
      ianaTimezone
    }
    validations(first: $first) {
      nodes {
        id
        enabled
        shopifyFunction {
          handle
        }
      }
    }
  }
`);

/** Turns Lockstep's Function on for the shop, with its first heartbeat in the same call. */
export const validationCreate = shopifyOperation<
  {
    validationCreate: {
      validation: { id: string } | null;
      userErrors: Array<{ code: string | null; field: string[] | null; message: string }>;
    };
  },
  {
    validation: {
      functionHandle: string;
      title: string;
      enable: boolean;
      blockOnFailure: boolean;
      metafields: Array<{ namespace: string; key: string; type: string; value: string }>;
    };
  }
>(/* GraphQL */ `
  mutation LockstepValidationCreate($validation: ValidationCreateInput!) {
    validationCreate(validation: $validation) {
      validation {
        id
      }
      userErrors {
        code
        field
        message
      }
    }
  }
`);
