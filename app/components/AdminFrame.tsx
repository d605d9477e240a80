import { Form, useLocation } from "@remix-run/react";
import { AppProvider as PolarisProvider, Button, Frame, Navigation, TopBar } from "@shopify/polaris";
import en from "@shopify/polaris/locales/en.json";
import type { ReactNode } from "react";

export const NAVIGATION = [
  { label: "Dashboard", url: "/app" },
  { label: "Reservations", url: "/app/reservations" },
  { label: "Connections", url: "/app/connections" },
  { label: "Runs", url: "/app/runs" },
  { label: "Feeds", url: "/app/feeds" },
  { label: "Prices", url: "/app/prices" },
  { label: "Dead letters", url: "/app/dead-letters" },
  { label: "Trace", url: "/app/trace" },
  { label: "Audit log", url: "/app/audit" },
  { label: "Settings", url: "/app/settings" },
];

/**
 * The admin's chrome outside Shopify: Polaris without App Bridge, for the demo shop behind the local
 * login (which can log out) or a BigCommerce store opened from its control panel (which cannot: the
 * control panel is the way in and out).
 */
export function StandaloneFrame({ shopDomain, canLogOut, children }: { shopDomain: string; canLogOut: boolean; children: ReactNode }) {
  const location = useLocation();
  return (
    <PolarisProvider i18n={en}>
      <Frame
        topBar={
          <TopBar
            secondaryMenu={
              canLogOut && (
                <Form method="post" action="/logout" style={{ paddingRight: 24 }}>
                  <Button submit variant="plain">
                    Log out
                  </Button>
                </Form>
              )
            }
            contextControl={<strong style={{ padding: "0 16px", whiteSpace: "nowrap", color: "white", lineHeight: "56px" }}>Lockstep · {shopDomain}</strong>}
          />
        }
        navigation={
          <Navigation location={location.pathname}>
            <Navigation.Section items={NAVIGATION.map((item) => ({ ...item, selected: location.pathname === item.url }))} />
          </Navigation>
        }
      >
        {children}
      </Frame>
    </PolarisProvider>
  );
}
