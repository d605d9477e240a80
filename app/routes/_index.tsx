import { type LoaderFunctionArgs, redirect } from "@remix-run/node";

// Shopify opens the app at its URL with `?shop=…&host=…`: keep those for the embedded admin.
export const loader = ({ request }: LoaderFunctionArgs) => {
  const url = new URL(request.url);
  return redirect(`/app${url.search}`);
};
