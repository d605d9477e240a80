import { type LoaderFunctionArgs, redirect } from "@remix-run/node";
import { shopify } from "../shopify.server";

// OAuth and token-exchange callbacks of the embedded app; the standalone mode has its own login.
export const loader = async ({ request, context }: LoaderFunctionArgs) => {
  if (context.config.mode !== "embedded") return redirect("/login");
  await shopify(context).authenticate.admin(request);
  return null;
};
