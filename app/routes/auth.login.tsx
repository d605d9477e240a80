import type { ActionFunctionArgs, AppLoadContext, LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { AppProvider, Button, Card, FormLayout, Page, Text, TextField } from "@shopify/polaris";
import polarisStyles from "@shopify/polaris/build/esm/styles.css?url";
import en from "@shopify/polaris/locales/en.json";
import { useState } from "react";
import { shopify } from "../shopify.server";

export const links = () => [{ rel: "stylesheet", href: polarisStyles }];

// Shopify's own login page for a shop domain (installs outside the app store); the standalone mode uses /login.
async function loginErrors(request: Request, context: AppLoadContext) {
  if (context.config.mode !== "embedded") throw redirect("/login");
  const errors = await shopify(context).login(request);
  return { shopError: errors?.shop ? "Enter a shop domain such as example.myshopify.com" : undefined };
}

export const loader = async ({ request, context }: LoaderFunctionArgs) => loginErrors(request, context);
export const action = async ({ request, context }: ActionFunctionArgs) => loginErrors(request, context);

export default function ShopifyLogin() {
  const loaderData = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const [shop, setShop] = useState("");
  const error = actionData?.shopError ?? loaderData.shopError;
  return (
    <AppProvider i18n={en}>
      <Page narrowWidth>
        <Card>
          <Form method="post">
            <FormLayout>
              <Text as="h1" variant="headingLg">
                Install Lockstep
              </Text>
              <TextField label="Shop domain" name="shop" helpText="example.myshopify.com" value={shop} onChange={setShop} autoComplete="on" error={error} />
              <Button submit variant="primary">
                Log in
              </Button>
            </FormLayout>
          </Form>
        </Card>
      </Page>
    </AppProvider>
  );
}
