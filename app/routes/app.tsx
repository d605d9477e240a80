import type { HeadersFunction, LoaderFunctionArgs } from "@remix-run/node";
import { Link, Outlet, useLoaderData, useLocation, useRouteError } from "@remix-run/react";
import polarisStyles from "@shopify/polaris/build/esm/styles.css?url";
import { NavMenu } from "@shopify/app-bridge-react";
import { AppProvider as EmbeddedAppProvider } from "@shopify/shopify-app-remix/react";
import { boundary } from "@shopify/shopify-app-remix/server";
import { NAVIGATION, StandaloneFrame } from "../components/AdminFrame";
import { withEmbeddedParams } from "../components/embeddedParams";
import { InstallProblem, installProblemOf } from "../components/InstallProblem";
import { authenticateStaff } from "../staff/authenticateStaff.server";

export const links = () => [{ rel: "stylesheet", href: polarisStyles }];

export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  const staff = await authenticateStaff(request, context);
  return { mode: staff.mode, apiKey: staff.apiKey ?? "", shopDomain: staff.shop.domain };
};

export default function AdminLayout() {
  const { mode, apiKey, shopDomain } = useLoaderData<typeof loader>();
  const { search } = useLocation();
  if (mode !== "embedded") {
    return (
      <StandaloneFrame shopDomain={shopDomain} canLogOut={mode === "standalone"}>
        <Outlet />
      </StandaloneFrame>
    );
  }
  return (
    <EmbeddedAppProvider isEmbeddedApp apiKey={apiKey}>
      <NavMenu>
        {NAVIGATION.map((item, i) => (
          <Link key={item.url} to={withEmbeddedParams(item.url, search)} rel={i === 0 ? "home" : undefined}>
            {item.label}
          </Link>
        ))}
      </NavMenu>
      <Outlet />
    </EmbeddedAppProvider>
  );
}

// Shopify's boundary turns its auth responses (redirects, 401 with the retry header) into what App Bridge expects.
export function ErrorBoundary() {
  const error = useRouteError();
  const problem = installProblemOf(error);
  if (problem) return <InstallProblem {...problem} />;
  return boundary.error(error);
}

export const headers: HeadersFunction = (headersArgs) => boundary.headers(headersArgs);
