import { shopifyOperation } from "../operation";

export type BulkOperationStatus = "CANCELED" | "CANCELING" | "COMPLETED" | "CREATED" | "EXPIRED" | "FAILED" | "RUNNING";

export const bulkOperationRunQuery = shopifyOperation<
  {
    bulkOperationRunQuery: {
      bulkOperation: { id: string; status: BulkOperationStatus } | null;
      userErrors: Array<{ code: string | null; field: string[] | null; message: string }>;
    };
  },
  { query: string }
>(/* GraphQL */ `
  mutation LockstepBulkRunQuery($query: String!) {
    bulkOperationRunQuery(query: $query, groupObjects: false) {
      bulkOperation {
        id
        status
      }
      userErrors {
        code
        field
        message
      }
    }
  }
`);

export const bulkOperationStatus = shopifyOperation<
  {
    bulkOperation: {
      id: string;
      status: BulkOperationStatus;
      errorCode: string | null;
      objectCount: string;
      url: string | null;
      partialDataUrl: string | null;
    } | null;
  },
  { id: string }
>(/* GraphQL */ `
  query LockstepBulkOperation($id: ID!) {
    bulkOperation(id: $id) {
      id
      status
      errorCode
      objectCount
      url
      partialDataUrl
    }
  }
`);
