import { checkoutValidations, validationCreate } from "./checkoutValidation";
import { metafieldsSet } from "./metafields";

/** Every Admin API document the storefront domain sends; a test validates each against the targeted version. */
export const STOREFRONT_OPERATIONS = [metafieldsSet, checkoutValidations, validationCreate] as const;
