import { type LoaderFunctionArgs, redirect } from "@remix-run/node";
import { appContext } from "../context.server";
import { shopify } from "../shopify.server";

// OAuth and token-exchange callbacks of the embedded app; the standalone mode has its own login.
export const loader = async ({ request }: LoaderFunctionArgs) => {
  if (appContext().config.mode !== "embedded") return redirect("/login");
  await shopify().authenticate.admin(request);
  return null;
};
