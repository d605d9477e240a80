import { Banner } from "@shopify/polaris";

/** What a page's last form submission did: a green banner when it worked, a red one with the refusal when it did not. */
export function ActionOutcome({ success, error }: { success?: string; error?: string }) {
  return (
    <>
      {success && <Banner tone="success">{success}</Banner>}
      {error && <Banner tone="critical">{error}</Banner>}
    </>
  );
}
