import { AppProvider as PolarisProvider, Banner, BlockStack, Button, Card, Page, Text } from "@shopify/polaris";
import en from "@shopify/polaris/locales/en.json";
import { useEffect, useState } from "react";

const RETRY_AFTER_S = 5;

const TITLES = {
  shopify_unreachable: "Shopify did not answer; retrying",
  install_incomplete: "Lockstep is still setting up your store; retrying",
} as const;

/**
 * What a merchant sees when the admin cannot open yet (the token exchange got no answer, or setting
 * the store up failed): what happened, and a retry — automatic after a few seconds, or at once.
 */
export function InstallProblem({ code, message }: { code: keyof typeof TITLES; message: string }) {
  const [secondsLeft, setSecondsLeft] = useState(RETRY_AFTER_S);
  useEffect(() => {
    if (secondsLeft <= 0) {
      window.location.reload();
      return;
    }
    const timer = setTimeout(() => setSecondsLeft(secondsLeft - 1), 1000);
    return () => clearTimeout(timer);
  }, [secondsLeft]);
  return (
    <PolarisProvider i18n={en}>
      <Page title="Lockstep">
        <Card>
          <BlockStack gap="400">
            <Banner tone="warning" title={TITLES[code]}>
              <p>{message} Nothing was lost: Lockstep tries again in a moment.</p>
            </Banner>
            <Text as="p" tone="subdued" id="install-retry-countdown">
              Retrying in {secondsLeft} s.
            </Text>
            <div>
              <Button variant="primary" onClick={() => window.location.reload()}>
                Retry now
              </Button>
            </div>
          </BlockStack>
        </Card>
      </Page>
    </PolarisProvider>
  );
}

/** The install problem a route error carries, if it is one (see installPageResponse in app/shopify.server.ts). */
export function installProblemOf(error: unknown): { code: keyof typeof TITLES; message: string } | undefined {
  const data = (error as { status?: number; data?: unknown } | null)?.data;
  const parsed = typeof data === "string" ? safeParse(data) : data;
  const code = (parsed as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !(code in TITLES)) return undefined;
  return { code: code as keyof typeof TITLES, message: String((parsed as { message?: unknown }).message ?? "") };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
